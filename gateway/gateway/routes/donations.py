"""Donation routes: monthly pledges and Stripe's webhooks."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from gateway import schemas
from gateway.apidoc import ok, problem_response
from gateway.web import http, json_response, read_json, read_text, require_header


class DonationRoutes:
    """Needs a `donations` RPC proxy on the service."""

    @http("POST", "/api/pledges")
    def create_pledge(self, request: Request) -> Response:
        pledge = read_json(request, schemas.PledgeRequest())
        created = self.donations.create_pledge(pledge)
        return json_response(schemas.PledgeCreated().dump(created), status=201)

    @http("POST", "/api/webhooks/stripe", body_limit="WEBHOOK_MAX_BODY_BYTES")
    def stripe_webhook(self, request: Request) -> Response:
        signature = require_header(request, "Stripe-Signature")
        self.donations.handle_stripe_webhook(read_text(request), signature)
        return json_response(schemas.WebhookReceived().dump({"received": True}))


COMPONENTS = {
    "PledgeRequest": schemas.PledgeRequest,
    "PledgeCreated": schemas.PledgeCreated,
    "WebhookReceived": schemas.WebhookReceived,
}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/pledges", "post"): {
        "operationId": "createPledge",
        "tags": ["donations"],
        "summary": "Start a monthly pledge",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": schemas.PledgeRequest,
            "example": {"amount": 3000, "email": "hanako@example.org", "name": "Yamada Hanako",
                        "locale": "ja-JP", "payment_method": "pm_card_visa"},
        }}},
        "responses": {
            "201": ok("Pledge created; finish with Stripe.js when client_secret is present.",
                       schemas.PledgeCreated,
                       {"id": "7b0c6d1e-3f7a-4d5e-9a51-0c2f4e8b9d10", "status": "pending",
                        "client_secret": "pi_123_secret_456"}),
            "400": "InvalidInput", "402": "PaymentDeclined", "409": "Conflict",
            "413": "PayloadTooLarge", "415": "UnsupportedMediaType",
            "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
    ("/api/webhooks/stripe", "post"): {
        "operationId": "receiveStripeWebhook",
        "tags": ["donations"],
        "summary": "Stripe event notification",
        "description": "The body is passed on byte for byte: its signature is checked by the "
                       "donations service over the raw body.",
        "parameters": [{"in": "header", "name": "Stripe-Signature", "required": True,
                        "schema": {"type": "string"},
                        "example": "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e7"}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": "object"},
            "example": {"id": "evt_123", "type": "payment_intent.succeeded", "data": {}},
        }}},
        "responses": {
            "200": ok("Event accepted.", schemas.WebhookReceived, {"received": True}),
            "400": problem_response("Missing or bad signature, or a body that is not UTF-8.", {
                "type": "/problems/bad-signature", "title": "Bad signature", "status": 400,
                "detail": "The signature does not match the body."}),
            "413": "PayloadTooLarge", "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
}
