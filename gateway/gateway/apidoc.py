"""Building blocks of the OpenAPI descriptions: shared problem responses and success bodies."""

from __future__ import annotations

from typing import Any

from gateway.errors import PROBLEM_JSON


def problem_response(description: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"X-Request-ID": "RequestId"},
        "content": {
            PROBLEM_JSON: {
                "schema": "Problem",
                "example": {
                    "instance": "/api/pledges",
                    "request_id": "2f1c0a4e-8a53-4a8e-9d0f-5a0c8e1b7c3d",
                    **example,
                },
            }
        },
    }


def about_blank(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail}


PROBLEM_RESPONSES: dict[str, dict[str, Any]] = {
    "InvalidInput": problem_response(
        "The body is malformed or has invalid fields.",
        {
            "type": "/problems/invalid-input",
            "title": "Invalid input",
            "status": 400,
            "detail": "The request body has invalid fields.",
            "errors": {
                "amount": ["Not a valid integer."],
                "email": ["Missing data for required field."],
            },
        },
    ),
    "InvalidQuery": problem_response(
        "A query parameter the route does not know, given twice, or with a value it cannot "
        "take.",
        {
            "type": "/problems/invalid-query",
            "title": "Invalid query parameter",
            "status": 400,
            "detail": "The query string has invalid parameters: from.",
            "errors": {"from": ["Must be between 2000-01-01 and 2099-12-31."]},
            "in": "query",
        },
    ),
    "PaymentDeclined": problem_response(
        "The card was declined.",
        {
            "type": "/problems/payment-declined",
            "title": "Payment declined",
            "status": 402,
            "detail": "Your card was declined.",
            "reason": "insufficient_funds",
        },
    ),
    "PaymentMethodUnusable": problem_response(
        "The payment method cannot be used (unknown to the payment provider, or refused).",
        {
            "type": "/problems/unprocessable",
            "title": "Unprocessable content",
            "status": 422,
            "detail": "the payment method is not usable",
            "errors": {"payment_method": [
                "This payment method is not usable: check the card's details or use another "
                "card."]},
        },
    ),
    "Conflict": problem_response(
        "The request conflicts with the current state.",
        {
            "type": "/problems/conflict",
            "title": "Conflict",
            "status": 409,
            "detail": "A pledge is already active for this e-mail address.",
        },
    ),
    "PayloadTooLarge": problem_response(
        "The body is larger than the route accepts.",
        about_blank(413, "Request Entity Too Large", "The body may be at most 65536 bytes."),
    ),
    "UnsupportedMediaType": problem_response(
        "The body is not JSON.",
        about_blank(
            415, "Unsupported Media Type", "The body must be JSON (Content-Type: application/json)."
        ),
    ),
    "ServiceUnavailable": problem_response(
        "A service the request needs did not answer; retry later.",
        {
            "type": "/problems/service-unavailable",
            "title": "Service unavailable",
            "status": 503,
            "detail": "A service the request needs did not answer in time. Please retry shortly.",
        },
    ),
    "NotReady": problem_response(
        "At least one service did not answer its ping.",
        {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "Not every service answered.",
            "unavailable": ["matching"],
        },
    ),
    "InternalError": problem_response(
        "An unexpected error; the body carries no detail of the cause.",
        about_blank(
            500,
            "Internal server error",
            "Something went wrong on our side. Quote the request id if you contact us.",
        ),
    ),
}


def ok(description: str, schema: type, example: dict[str, Any] | None = None) -> dict:
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {
        "description": description,
        "headers": {"X-Request-ID": "RequestId"},
        "content": {"application/json": content},
    }
