"""Donation routes that stay hand-written: Stripe's webhooks (the raw body travels on for its
signature) and the staff report and annual statement, which answer JSON or a CSV download.
Every other donation route is declared in `api.donations` and generated."""

from __future__ import annotations

from typing import Any

from api import donations as api
from api.doc import describe, ok, problem_response
from werkzeug.wrappers import Request, Response

from gateway.web import http, json_response, read_text, require_header

STAFF = api.STAFF


def csv_response(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


class DonationRoutes:
    """Needs a `donations` RPC proxy and `staff` auth on the service. Each staff route is
    named as a generated one would be (`api.DONATION_REPORT` → `donation_report`)."""

    @http("POST", "/api/webhooks/stripe", body_limit="WEBHOOK_MAX_BODY_BYTES")
    def stripe_webhook(self, request: Request) -> Response:
        signature = require_header(request, "Stripe-Signature")
        self.donations.handle_stripe_webhook(read_text(request), signature)
        return json_response(api.WebhookReceived().dump({"received": True}))

    @http("GET", api.DONATION_REPORT.path, query=api.ReportQuery,
          roles=api.DONATION_REPORT.roles)
    def donation_report(self, request: Request, query: dict[str, Any]) -> Response:
        report = self.donations.donation_report(query=request.args.to_dict())
        if query["format"] == "csv":
            return csv_response(report["csv"], f"donations-{query['from_']}-{query['to']}.csv")
        return json_response(api.DonationReport().dump(report))

    @http("GET", api.ANNUAL_STATEMENT.path, query=api.StatementQuery,
          roles=api.ANNUAL_STATEMENT.roles)
    def annual_statement(self, request: Request, supporter_id: str, year: int,
                         query: dict[str, Any]) -> Response:
        statement = self.donations.annual_statement(supporter_id, year,
                                                    query=request.args.to_dict())
        if query["format"] == "csv":
            return csv_response(statement["csv"], f"statement-{year}-{supporter_id}.csv")
        return json_response(api.Statement().dump(statement))


def _csv_or_json(description: str, schema: type) -> dict[str, Any]:
    return {"description": description, "headers": {"X-Request-ID": "RequestId"},
            "content": {"application/json": {"schema": schema},
                        "text/csv": {"schema": {"type": "string"}}}}


COMPONENTS = {"WebhookReceived": api.WebhookReceived}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
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
            "200": ok("Event accepted.", api.WebhookReceived, {"received": True}),
            "400": problem_response("Missing or bad signature, or a body that is not UTF-8.", {
                "type": "/problems/bad-signature", "title": "Bad signature", "status": 400,
                "detail": "The signature does not match the body."}),
            "413": "PayloadTooLarge", "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
    **{(operation.openapi_path, "get"): describe(operation, _csv_or_json(answer, schema))
       for operation, answer, schema in (
           (api.DONATION_REPORT, "The report.", api.DonationReport),
           (api.ANNUAL_STATEMENT, "The statement.", api.Statement))},
}
