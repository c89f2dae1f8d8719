"""Building blocks of the OpenAPI descriptions (shared problem responses and success bodies),
and the description of a declared operation built from its declaration (`describe`)."""

from __future__ import annotations

from typing import Any

from api.operation import UUID_VALUE, Operation

PROBLEM_JSON = "application/problem+json"


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


def problem(status: int, slug: str, title: str, detail: str) -> dict[str, Any]:
    """A problem response of our own type (`/problems/<slug>`), described by its detail."""
    return problem_response(detail, {"type": f"/problems/{slug}", "title": title,
                                     "status": status, "detail": detail})


def not_found(what: str) -> dict[str, Any]:
    return problem(404, "not-found", "Not found", f"no such {what}")


def conflict(detail: str) -> dict[str, Any]:
    return problem(409, "conflict", "Conflict", detail)


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


# Public lists answered through gateway.caching: their 200 carries a validator, and a request
# naming it gets a 304.
_CACHE_HEADERS: dict[str, Any] = {
    "ETag": {"description": "A strong validator of this body; send it back in If-None-Match.",
             "schema": {"type": "string"}, "example": '"3f1c9a0b7d2e4c5f8a6b1d0e9c7f2a4b"'},
    "Cache-Control": {"description": "Any cache may keep the answer for 60 seconds.",
                      "schema": {"type": "string"}, "example": "public, max-age=60"},
}
IF_NONE_MATCH: dict[str, Any] = {
    "in": "header", "name": "If-None-Match", "required": False,
    "description": "ETags the client holds (a list, weak or strong, or `*`); when one matches "
                   "the current answer (weak comparison, RFC 9110 §13.1.2) the answer is 304.",
    "schema": {"type": "string"}, "example": '"3f1c9a0b7d2e4c5f8a6b1d0e9c7f2a4b"'}
NOT_MODIFIED: dict[str, Any] = {
    "description": "Not modified: the ETag sent in If-None-Match is still current; no body.",
    "headers": {"X-Request-ID": "RequestId", **_CACHE_HEADERS},
}


def cached_ok(description: str, schema: type, example: dict[str, Any] | None = None,
              revalidate: bool = False) -> dict:
    """`ok` for a route answered by `gateway.caching.public_json` (`revalidate`: max_age 0)."""
    response = ok(description, schema, example)
    headers = dict(_CACHE_HEADERS)
    if revalidate:
        headers["Cache-Control"] = {**headers["Cache-Control"], "example": "no-cache",
                                    "description": "Revalidate on each use (no-cache)."}
    response["headers"] = {**response["headers"], **headers}
    return response


JSON_BODY_ERRORS: dict[str, Any] = {"400": "InvalidInput", "413": "PayloadTooLarge",
                                    "415": "UnsupportedMediaType"}
SERVER_ERRORS: dict[str, Any] = {"500": "InternalError", "503": "ServiceUnavailable"}
STAFF_AUTH = [{"bearerAuth": []}]
UNAUTHORIZED = problem(401, "unauthorized", "Unauthorized",
                       "staff routes need an Authorization: Bearer token")


def forbidden(roles: tuple[str, ...]) -> dict[str, Any]:
    return problem(403, "forbidden", "Forbidden", f"this needs the role {' or '.join(roles)}")


def describe(operation: Operation, answered: dict[str, Any] | None = None) -> dict[str, Any]:
    """The operation's OpenAPI description, from its declaration alone; `answered` describes
    the success response instead of `response` (a hand-written route's PDF or CSV)."""
    described: dict[str, Any] = {"operationId": operation.id, "tags": [operation.tag],
                                 "summary": operation.summary}
    if operation.description:
        described["description"] = operation.description
    parameters = [{"in": "path", "name": name, "required": True, "schema": UUID_VALUE,
                   **operation.path_values.get(name, {})}
                  for name in operation.path_names]
    if operation.query is not None:
        # apispec's marshmallow plugin turns the schema into one parameter per field
        parameters.append({"in": "query", "schema": operation.query})
    if operation.cache:
        parameters.append(IF_NONE_MATCH)
    if parameters:
        described["parameters"] = parameters
    if operation.body is not None:
        content: dict[str, Any] = {"schema": operation.body}
        if operation.example is not None:
            content["example"] = operation.example
        described["requestBody"] = {"required": not operation.body_optional,
                                    "content": {"application/json": content}}
    described["responses"] = _responses(operation)
    if answered is not None:
        described["responses"][str(operation.status)] = answered
    if operation.is_staff:
        described["security"] = STAFF_AUTH
    return described


def _responses(operation: Operation) -> dict[str, Any]:
    answered = _success(operation)
    responses: dict[str, Any] = {str(operation.status): answered}
    if operation.cache:
        responses["304"] = NOT_MODIFIED
    if operation.query is not None:
        responses["400"] = "InvalidQuery"
    if operation.body is not None:
        responses.update(JSON_BODY_ERRORS)
    elif operation.checked_ids:
        responses["400"] = "InvalidInput"
    if operation.is_staff:
        responses["401"] = UNAUTHORIZED
        responses["403"] = forbidden(operation.roles)
    responses.update(operation.errors)
    responses.update(SERVER_ERRORS)
    return responses


def _success(operation: Operation) -> dict[str, Any]:
    if operation.response is None:
        return {"description": operation.returns, "headers": {"X-Request-ID": "RequestId"}}
    if operation.cache:
        return cached_ok(operation.returns, operation.response, operation.response_example,
                         revalidate=operation.cache == "revalidate")
    return ok(operation.returns, operation.response, operation.response_example)
