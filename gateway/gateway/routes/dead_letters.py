"""The services' dead-letter queues for admins: how many messages wait in each, a look at the
first ones (left in place) and replaying the first N or all to the queues they failed on.
The notifications service does the work (it watches these queues) and checks the role again.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)
from werkzeug.wrappers import Request, Response

from gateway.apidoc import ok, problem_response
from gateway.web import http, json_response, read_json

ADMIN = "admin"


class PeekQuery(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(validate=validate.Range(min=1, max=200), metadata={
        "description": "How many of the first messages to show (default 50)."})


class ReplayRequest(Schema):
    class Meta:
        unknown = RAISE

    count = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000),
                           metadata={"description": "Replay the first this many."})
    all = fields.Boolean(validate=validate.Equal(True), metadata={
        "description": "Replay every message parked now."})

    @validates_schema
    def _one(self, data: dict[str, Any], **_: Any) -> None:
        if ("count" in data) == ("all" in data):
            raise ValidationError("give either count or all", "count")


class DeadLetterQueue(Schema):
    service = fields.String(required=True, metadata={"example": "donations"})
    queue = fields.String(required=True, metadata={"example": "donations.dlq"})
    depth = fields.Integer(required=True, metadata={"description": "Messages waiting."})


class DeadLetterQueues(Schema):
    queues = fields.List(fields.Nested(DeadLetterQueue), required=True)


class ParkedMessage(Schema):
    index = fields.Integer(required=True, metadata={"description": "1 is the oldest."})
    message_id = fields.String(allow_none=True)
    type = fields.String(required=True, metadata={"example": "payment_succeeded"})
    handler_queue = fields.String(allow_none=True, metadata={
        "description": "The queue it failed on, where a replay sends it."})
    failed_at = fields.String(allow_none=True)
    attempt = fields.Integer(allow_none=True)
    error = fields.String(required=True, metadata={"description": "The end of the error."})
    envelope = fields.Raw(allow_none=True, metadata={
        "description": "The event as published (null when it is not JSON)."})


class ParkedMessages(DeadLetterQueue):
    messages = fields.List(fields.Nested(ParkedMessage), required=True)


class ReplayedMessage(Schema):
    message_id = fields.String(allow_none=True)
    type = fields.String(required=True)
    handler_queue = fields.String(required=True)


class Replayed(Schema):
    service = fields.String(required=True)
    queue = fields.String(required=True)
    replayed = fields.List(fields.Nested(ReplayedMessage), required=True)
    left = fields.Integer(required=True, metadata={"description": "Messages still parked."})


class DeadLetterRoutes:
    """Needs a `notifications` RPC proxy and `staff` auth on the service."""

    @http("GET", "/api/staff/dead-letters")
    def dead_letter_queues(self, request: Request) -> Response:
        self.staff.require(request, ADMIN)
        return json_response(DeadLetterQueues().dump(
            {"queues": self.notifications.dead_letter_queues()}))

    @http("GET", "/api/staff/dead-letters/<service>", query=PeekQuery)
    def dead_letters(self, request: Request, service: str,
                     query: dict[str, Any]) -> Response:
        self.staff.require(request, ADMIN)
        return json_response(ParkedMessages().dump(
            self.notifications.dead_letters(service, query.get("limit", 50))))

    @http("POST", "/api/staff/dead-letters/<service>/replay")
    def replay_dead_letters(self, request: Request, service: str) -> Response:
        self.staff.require(request, ADMIN)
        body = read_json(request, ReplayRequest())
        return json_response(Replayed().dump(
            self.notifications.replay_dead_letters(service, body.get("count"))))


def _problem(status: int, slug: str, title: str, detail: str) -> dict[str, Any]:
    return problem_response(detail, {"type": f"/problems/{slug}", "title": title,
                                     "status": status, "detail": detail})


AUTH = [{"bearerAuth": []}]
SERVICE = {"in": "path", "name": "service", "required": True,
           "description": "Whose queue: donations, matching, programs, notifications or "
                          "gateway.", "schema": {"type": "string"}}
ERRORS = {
    "401": _problem(401, "unauthorized", "Unauthorized",
                    "staff routes need an Authorization: Bearer token"),
    "403": _problem(403, "forbidden", "Forbidden", "this needs the role admin"),
    "500": "InternalError",
    "503": _problem(503, "service-unavailable", "Service Unavailable",
                    "the message broker did not answer; try again"),
}
NO_QUEUE = _problem(404, "not-found", "Not found", "no dead-letter queue billing.dlq is watched")

COMPONENTS = {"DeadLetterQueues": DeadLetterQueues, "ParkedMessages": ParkedMessages,
              "ReplayRequest": ReplayRequest, "Replayed": Replayed}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/staff/dead-letters", "get"): {
        "operationId": "deadLetterQueues", "tags": ["staff"], "security": AUTH,
        "summary": "Each service's dead-letter queue and how many messages wait in it "
                   "(admins only)",
        "responses": {"200": ok("The queues.", DeadLetterQueues), "400": "InvalidQuery",
                      **ERRORS},
    },
    ("/api/staff/dead-letters/{service}", "get"): {
        "operationId": "deadLetters", "tags": ["staff"], "security": AUTH,
        "summary": "The first messages parked for a service, with their errors, left in "
                   "place (admins only)",
        "parameters": [SERVICE, {"in": "query", "name": "limit", "required": False,
                                 "schema": {"type": "integer", "minimum": 1, "maximum": 200,
                                            "default": 50}}],
        "responses": {"200": ok("The queue's first messages.", ParkedMessages),
                      "400": "InvalidQuery", "404": NO_QUEUE, **ERRORS},
    },
    ("/api/staff/dead-letters/{service}/replay", "post"): {
        "operationId": "replayDeadLetters", "tags": ["staff"], "security": AUTH,
        "summary": "Send the first N (or all) parked messages back to the queues they "
                   "failed on, with their retries reset (admins only)",
        "parameters": [SERVICE],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": ReplayRequest, "example": {"count": 1}}}},
        "responses": {
            "200": ok("What was replayed and how many are left.", Replayed),
            "400": "InvalidInput", "404": NO_QUEUE,
            "409": _problem(409, "conflict", "Conflict",
                            "message 1: queue gone-queue does not exist; left in the "
                            "dead-letter queue"),
            "413": "PayloadTooLarge", "415": "UnsupportedMediaType", **ERRORS},
    },
}
