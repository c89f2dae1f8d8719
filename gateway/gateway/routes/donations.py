"""Donation routes: tiers, one-time gifts, monthly pledges and their self-service, Stripe's
webhooks, and the staff side (payments, refunds, reports, statements, anonymisation)."""

from __future__ import annotations

from typing import Any

from api.doc import IF_NONE_MATCH, NOT_MODIFIED, cached_ok, ok, problem_response
from werkzeug.wrappers import Request, Response

from gateway import schemas
from gateway.caching import public_json
from gateway.routes import donations_schemas as ds
from gateway.web import http, json_response, read_json, read_text, require_header

STAFF = ("admin", "staff")


def csv_response(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


class DonationRoutes:
    """Needs a `donations` RPC proxy and `staff` auth on the service."""

    @http("GET", "/api/donation-tiers")
    def donation_tiers(self, request: Request) -> Response:
        return public_json(request, ds.DonationTiers().dump(self.donations.donation_tiers()))

    @http("POST", "/api/donations")
    def create_donation(self, request: Request) -> Response:
        donation = read_json(request, ds.DonationRequest())
        created = self.donations.create_donation(donation)
        return json_response(ds.DonationCreated().dump(created), status=201)

    @http("POST", "/api/pledges")
    def create_pledge(self, request: Request) -> Response:
        pledge = read_json(request, schemas.PledgeRequest())
        created = self.donations.create_pledge(pledge)
        return json_response(schemas.PledgeCreated().dump(created), status=201)

    @http("POST", "/api/pledges/self-service")
    def pledge_self_service(self, request: Request) -> Response:
        # The token travels in the body, not the URL, so it stays out of access logs.
        body = read_json(request, ds.SelfServiceRequest())
        return json_response(ds.PledgeView().dump(self.donations.pledge_self_service(body)))

    @http("POST", "/api/pledges/link-requests")
    def request_pledge_links(self, request: Request) -> Response:
        body = read_json(request, ds.LinkRequest())
        return json_response(ds.Received().dump(self.donations.send_pledge_links(body)),
                             status=202)

    @http("POST", "/api/bank-transfer-notices")
    def notify_bank_transfer(self, request: Request) -> Response:
        body = read_json(request, ds.BankTransferNotice())
        return json_response(ds.Received().dump(self.donations.notify_bank_transfer(body)),
                             status=202)

    @http("POST", "/api/webhooks/stripe", body_limit="WEBHOOK_MAX_BODY_BYTES")
    def stripe_webhook(self, request: Request) -> Response:
        signature = require_header(request, "Stripe-Signature")
        self.donations.handle_stripe_webhook(read_text(request), signature)
        return json_response(schemas.WebhookReceived().dump({"received": True}))

    @http("POST", "/api/staff/payments")
    def record_staff_payment(self, request: Request) -> Response:
        self.staff.require(request, *STAFF)
        payment = read_json(request, ds.StaffPaymentRequest())
        return json_response(ds.Payment().dump(self.donations.record_staff_payment(payment)),
                             status=201)

    @http("GET", "/api/staff/payments", query=ds.PaymentsQuery)
    def list_payments(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *STAFF)
        asked = {"source": query.get("source"), "from": query.get("from_"),
                 "to": query.get("to"), "limit": query.get("limit"),
                 "offset": query.get("offset"),
                 "supporter_id": str(query["supporter"]) if "supporter" in query else None}
        page = self.donations.list_payments({k: v for k, v in asked.items() if v is not None})
        return json_response(ds.PaymentPage().dump(page))

    @http("GET", "/api/staff/payments/<payment_id>")
    def staff_payment(self, request: Request, payment_id: str) -> Response:
        self.staff.require(request, *STAFF)
        return json_response(ds.ListedPayment().dump(self.donations.staff_payment(payment_id)))

    @http("GET", "/api/staff/supporters/<supporter_id>")
    def supporter_detail(self, request: Request, supporter_id: str) -> Response:
        self.staff.require(request, *STAFF)
        return json_response(ds.SupporterDetail().dump(
            self.donations.supporter_detail(supporter_id)))

    @http("POST", "/api/staff/payments/<payment_id>/refund")
    def refund_payment(self, request: Request, payment_id: str) -> Response:
        self.staff.require(request, *STAFF)
        body = read_json(request, ds.RefundRequest())
        return json_response(ds.Payment().dump(self.donations.refund_payment(payment_id, body)))

    @http("POST", "/api/staff/pledges/<pledge_id>/cancel")
    def cancel_pledge(self, request: Request, pledge_id: str) -> Response:
        self.staff.require(request, *STAFF)
        body = read_json(request, ds.CancelRequest())
        return json_response(ds.PledgeView().dump(
            self.donations.cancel_pledge_by_staff(pledge_id, body)))

    @http("GET", "/api/staff/reports/donations", query=ds.ReportQuery)
    def donation_report(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *STAFF)
        fmt = query.get("format", "json")
        report = self.donations.donation_report({
            "from": query["from_"], "to": query["to"], "format": fmt})
        if fmt == "csv":
            return csv_response(report["csv"], f"donations-{query['from_']}-{query['to']}.csv")
        return json_response(report)

    @http("GET", "/api/staff/supporters/<supporter_id>/statements/<int:year>",
          query=ds.StatementQuery)
    def annual_statement(self, request: Request, supporter_id: str, year: int,
                         query: dict[str, Any]) -> Response:
        self.staff.require(request, *STAFF)
        fmt = query.get("format", "json")
        statement = self.donations.annual_statement(
            {"supporter_id": supporter_id, "year": year, "format": fmt})
        if fmt == "csv":
            return csv_response(statement["csv"], f"statement-{year}-{supporter_id}.csv")
        return json_response(ds.Statement().dump(statement))

    @http("POST", "/api/staff/supporters/<supporter_id>/anonymize")
    def anonymise_supporter(self, request: Request, supporter_id: str) -> Response:
        self.staff.require(request, "admin")
        return json_response(ds.Anonymized().dump(
            self.donations.anonymise_supporter(supporter_id)))


def _problem(status: int, slug: str, title: str, detail: str) -> dict[str, Any]:
    return problem_response(detail, {"type": f"/problems/{slug}", "title": title,
                                     "status": status, "detail": detail})


UNAUTHORIZED = _problem(401, "unauthorized", "Unauthorized",
                        "staff routes need an Authorization: Bearer token")
FORBIDDEN = _problem(403, "forbidden", "Forbidden", "this needs the role admin or staff")
NOT_FOUND = _problem(404, "not-found", "Not found", "no such payment")
CONFLICT = "Conflict"
STAFF_AUTH = [{"bearerAuth": []}]
STAFF_ERRORS = {"401": UNAUTHORIZED, "403": FORBIDDEN, "500": "InternalError",
                "503": "ServiceUnavailable"}
JSON_BODY_ERRORS = {"400": "InvalidInput", "413": "PayloadTooLarge",
                    "415": "UnsupportedMediaType"}


def _body(schema: type, example: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema,
                                                               "example": example}}}


def _csv_or_json(description: str, schema: type) -> dict[str, Any]:
    return {"description": description, "headers": {"X-Request-ID": "RequestId"},
            "content": {"application/json": {"schema": schema},
                        "text/csv": {"schema": {"type": "string"}}}}


COMPONENTS = {
    "PledgeRequest": schemas.PledgeRequest,
    "PledgeCreated": schemas.PledgeCreated,
    "WebhookReceived": schemas.WebhookReceived,
    "BankAccount": ds.BankAccount,  # before the tiers that hold it
    "DonationTiers": ds.DonationTiers,
    "DonationRequest": ds.DonationRequest,
    "DonationCreated": ds.DonationCreated,
    "StaffPaymentRequest": ds.StaffPaymentRequest,
    "Payment": ds.Payment,
    "RefundRequest": ds.RefundRequest,
    "ListedPayment": ds.ListedPayment,
    "PaymentPage": ds.PaymentPage,
    "SupporterDetail": ds.SupporterDetail,
    "CancelRequest": ds.CancelRequest,
    "SelfServiceRequest": ds.SelfServiceRequest,
    "PledgeView": ds.PledgeView,
    "BankTransferNotice": ds.BankTransferNotice,
    "LinkRequest": ds.LinkRequest,
    "Received": ds.Received,
    "DonationReport": ds.Report,
    "Statement": ds.Statement,
    "Anonymized": ds.Anonymized,
}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/donation-tiers", "get"): {
        "operationId": "listDonationTiers",
        "tags": ["donations"],
        "summary": "Donation tiers with their impact, free-amount bounds, designations and the "
                   "bank-transfer account",
        "parameters": [IF_NONE_MATCH],
        "responses": {"200": cached_ok("The tiers.", ds.DonationTiers), "304": NOT_MODIFIED,
                      "500": "InternalError", "503": "ServiceUnavailable"},
    },
    ("/api/donations", "post"): {
        "operationId": "createDonation",
        "tags": ["donations"],
        "summary": "Give once by card",
        "requestBody": _body(ds.DonationRequest, {
            "amount": 10000, "email": "hanako@example.org", "name": "Yamada Hanako",
            "locale": "ja-JP", "payment_method": "pm_card_visa", "tier": "class",
            "designation": "hanamaru_class"}),
        "responses": {
            "201": ok("Payment made or waiting for 3-D Secure (client_secret).",
                      ds.DonationCreated, {"id": "0d9c1c4e-6f0b-4a43-9a41-3b1f4b7e6a10",
                                           "status": "succeeded"}),
            **JSON_BODY_ERRORS, "402": "PaymentDeclined", "422": "PaymentMethodUnusable",
            "500": "InternalError",
            "503": "ServiceUnavailable",
        },
    },
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
            "422": "PaymentMethodUnusable",
            "413": "PayloadTooLarge", "415": "UnsupportedMediaType",
            "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
    ("/api/pledges/self-service", "post"): {
        "operationId": "pledgeSelfService",
        "tags": ["donations"],
        "summary": "View, change the amount of, pause, resume or cancel a pledge, or change "
                   "its card, by its signed link",
        "requestBody": _body(ds.SelfServiceRequest, {
            "token": "eyJwbGVkZ2UiOiI3YjBjIn0.Zx1.abc", "action": "change_amount",
            "amount": 5000}),
        "responses": {
            "200": ok("The pledge after the change.", ds.PledgeView),
            **JSON_BODY_ERRORS,
            "402": "PaymentDeclined",
            "403": _problem(403, "forbidden", "Forbidden", "this link is not valid"),
            "409": CONFLICT, "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
    ("/api/pledges/link-requests", "post"): {
        "operationId": "requestPledgeLinks",
        "tags": ["donations"],
        "summary": "E-mail fresh self-service links for the pledges of an address",
        "description": "The answer is the same whether or not the address is known, so it "
                       "tells no one who gives.",
        "requestBody": _body(ds.LinkRequest, {"email": "hanako@example.org", "locale": "ja"}),
        "responses": {"202": ok("Links sent if there is anything to send.", ds.Received,
                                {"received": True}),
                      **JSON_BODY_ERRORS, "500": "InternalError",
                      "503": "ServiceUnavailable"},
    },
    ("/api/bank-transfer-notices", "post"): {
        "operationId": "notifyBankTransfer",
        "tags": ["donations"],
        "summary": "Tell staff about a bank transfer (they record it once it arrives)",
        "requestBody": _body(ds.BankTransferNotice, {
            "name": "Yamada Hanako", "email": "hanako@example.org", "locale": "ja",
            "amount": 50000, "transferred_on": "2026-04-04", "payer_name": "ヤマダ ハナコ"}),
        "responses": {"202": ok("Staff are told.", ds.Received, {"received": True}),
                      **JSON_BODY_ERRORS, "500": "InternalError",
                      "503": "ServiceUnavailable"},
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
    ("/api/staff/payments", "post"): {
        "operationId": "recordStaffPayment",
        "tags": ["staff"],
        "summary": "Record a bank transfer, grant or membership fee",
        "security": STAFF_AUTH,
        "requestBody": _body(ds.StaffPaymentRequest, {
            "source": "bank_transfer", "amount": 50000, "paid_on": "2026-03-31",
            "payer_name": "Sato Ichiro", "payer_email": "ichiro@example.org", "locale": "ja",
            "reference": "MUFG 2026-03-31 #8841", "designation": "general"}),
        "responses": {"201": ok("Recorded, with its receipt number.", ds.Payment),
                      **JSON_BODY_ERRORS, **STAFF_ERRORS,
                      "409": problem_response("The bank reference is already recorded.", {
                          "type": "/problems/conflict", "title": "Conflict", "status": 409,
                          "detail": "reference 'MUFG #8841' is already recorded as payment "
                                    "0d9c1c4e-6f0b-4a43-9a41-3b1f4b7e6a10 (receipt "
                                    "R2026-000123)"})},
    },
    ("/api/staff/payments/{payment_id}/refund", "post"): {
        "operationId": "refundPayment",
        "tags": ["staff"],
        "summary": "Refund a card payment through Stripe, fully or partly",
        "security": STAFF_AUTH,
        "parameters": [{"in": "path", "name": "payment_id", "required": True,
                        "schema": {"type": "string", "format": "uuid"}}],
        "requestBody": _body(ds.RefundRequest, {"amount": 1000, "reason": "donor asked"}),
        "responses": {"200": ok("The payment after the refund.", ds.Payment),
                      **JSON_BODY_ERRORS, **STAFF_ERRORS, "404": NOT_FOUND, "409": CONFLICT},
    },
    ("/api/staff/pledges/{pledge_id}/cancel", "post"): {
        "operationId": "cancelPledge",
        "tags": ["staff"],
        "summary": "Cancel a monthly pledge, with a reason",
        "security": STAFF_AUTH,
        "parameters": [{"in": "path", "name": "pledge_id", "required": True,
                        "schema": {"type": "string", "format": "uuid"}}],
        "requestBody": _body(ds.CancelRequest, {"reason": "asked by phone"}),
        "responses": {"200": ok("The canceled pledge.", ds.PledgeView),
                      **JSON_BODY_ERRORS, **STAFF_ERRORS, "404": NOT_FOUND, "409": CONFLICT},
    },
    ("/api/staff/reports/donations", "get"): {
        "operationId": "donationReport",
        "tags": ["staff"],
        "summary": "Donation report (by month, source, tier, designation; recurring total, "
                   "partners, churn, income mix), or the CSV export of its payments",
        "security": STAFF_AUTH,
        "parameters": [
            {"in": "query", "name": "from", "required": True,
             "schema": {"type": "string", "format": "date"}},
            {"in": "query", "name": "to", "required": True,
             "description": "Inclusive.", "schema": {"type": "string", "format": "date"}},
            {"in": "query", "name": "format", "required": False,
             "schema": {"type": "string", "enum": ["json", "csv"]}},
        ],
        "responses": {"200": _csv_or_json("The report.", ds.Report), "400": "InvalidQuery",
                      **STAFF_ERRORS},
    },
    ("/api/staff/payments", "get"): {
        "operationId": "listPayments",
        "tags": ["staff"],
        "summary": "Payments, newest first, filtered by source, supporter and paid date, "
                   "a page at a time",
        "security": STAFF_AUTH,
        "parameters": [
            {"in": "query", "name": "source", "required": False,
             "schema": {"type": "string", "enum": list(ds.SOURCES)}},
            {"in": "query", "name": "supporter", "required": False,
             "schema": {"type": "string", "format": "uuid"}},
            {"in": "query", "name": "from", "required": False,
             "description": "Paid on or after this day (Tokyo).",
             "schema": {"type": "string", "format": "date"}},
            {"in": "query", "name": "to", "required": False,
             "description": "Paid on or before this day (Tokyo).",
             "schema": {"type": "string", "format": "date"}},
            {"in": "query", "name": "limit", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
            {"in": "query", "name": "offset", "required": False,
             "schema": {"type": "integer", "minimum": 0, "default": 0}},
        ],
        "responses": {"200": ok("A page of payments and how many match.", ds.PaymentPage),
                      "400": "InvalidQuery", **STAFF_ERRORS},
    },
    ("/api/staff/payments/{payment_id}", "get"): {
        "operationId": "staffPayment",
        "tags": ["staff"],
        "summary": "One payment (its supporter_id leads to the supporter)",
        "security": STAFF_AUTH,
        "parameters": [{"in": "path", "name": "payment_id", "required": True,
                        "schema": {"type": "string", "format": "uuid"}}],
        "responses": {"200": ok("The payment.", ds.ListedPayment), "404": NOT_FOUND,
                      **STAFF_ERRORS},
    },
    ("/api/staff/supporters/{supporter_id}", "get"): {
        "operationId": "supporterDetail",
        "tags": ["staff"],
        "summary": "A supporter with their pledges and latest payments",
        "security": STAFF_AUTH,
        "parameters": [{"in": "path", "name": "supporter_id", "required": True,
                        "schema": {"type": "string", "format": "uuid"}}],
        "responses": {"200": ok("The supporter.", ds.SupporterDetail),
                      "404": _problem(404, "not-found", "Not found", "no such supporter"),
                      **STAFF_ERRORS},
    },
    ("/api/staff/supporters/{supporter_id}/statements/{year}", "get"): {
        "operationId": "annualStatement",
        "tags": ["staff"],
        "summary": "A supporter's gifts in one calendar year, for a tax-deduction claim",
        "security": STAFF_AUTH,
        "parameters": [
            {"in": "path", "name": "supporter_id", "required": True,
             "schema": {"type": "string", "format": "uuid"}},
            {"in": "path", "name": "year", "required": True, "schema": {"type": "integer"}},
            {"in": "query", "name": "format", "required": False,
             "schema": {"type": "string", "enum": ["json", "csv"]}},
        ],
        "responses": {"200": _csv_or_json("The statement.", ds.Statement),
                      "400": "InvalidQuery", "404": NOT_FOUND, **STAFF_ERRORS},
    },
    ("/api/staff/supporters/{supporter_id}/anonymize", "post"): {
        "operationId": "anonymiseSupporter",
        "tags": ["staff"],
        "summary": "Erase a supporter's personal data, keeping the amounts (admin only)",
        "security": STAFF_AUTH,
        "parameters": [{"in": "path", "name": "supporter_id", "required": True,
                        "schema": {"type": "string", "format": "uuid"}}],
        "responses": {"200": ok("Erased.", ds.Anonymized), "404": NOT_FOUND,
                      "409": CONFLICT, **STAFF_ERRORS},
    },
}
