"""The notifications service's operations: the staff delivery log and the dead-letter queues
(admins), with the body of the unsubscribe link's answer (a hand-written route: it answers a
page to a browser)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.doc import conflict, problem
from api.fields import Query, Strict
from api.operation import Operation

MAIL_ROLES = ("admin", "staff")
ADMIN = ("admin",)
DELIVERY_STATUSES = ("sent", "deferred", "failed", "suppressed", "sending", "unknown")


# -- the delivery log --------------------------------------------------------------------------

class MailLogQuery(Query):
    email = fields.Email(validate=validate.Length(max=254))
    event = fields.UUID()

    @validates_schema
    def exactly_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("email" in data) == ("event" in data):
            raise ValidationError("give exactly one of email or event", "email")


class MailLogEntry(Schema):
    event_id = fields.String(required=True)
    kind = fields.String(required=True)
    recipient = fields.String(required=True)
    locale = fields.String(required=True)
    # deferred: SMTP has not accepted it yet (4xx or unreachable); the event's retries go on.
    # sending: at the relay now; unknown: an attempt cut short, maybe delivered, not retried.
    status = fields.String(required=True, validate=validate.OneOf(DELIVERY_STATUSES))
    error = fields.String(allow_none=True)
    attempts = fields.Integer(required=True)
    message_id = fields.String(required=True)
    created_at = fields.String(required=True)
    last_attempt_at = fields.String(required=True)


class MailLog(Schema):
    deliveries = fields.List(fields.Nested(MailLogEntry), required=True)


MAIL_LOG = Operation(
    id="mailLog", method="GET", path="/api/staff/mail", rpc="notifications.delivery_log",
    tag="staff", summary="The delivery log for one address or one event",
    query=MailLogQuery, response=MailLog, returns="Deliveries, newest first.",
    roles=MAIL_ROLES)


# -- dead-letter queues ------------------------------------------------------------------------

class PeekQuery(Query):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200), metadata={
        "description": "How many of the first messages to show (default 50)."})


class ReplayRequest(Strict):
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


NO_QUEUE = problem(404, "not-found", "Not found", "no dead-letter queue billing.dlq is watched")
SERVICE_VALUE = {"description": "Whose queue: donations, matching, programs, notifications or "
                                "gateway.", "schema": {"type": "string"}}

DEAD_LETTER_QUEUES = Operation(
    id="deadLetterQueues", method="GET", path="/api/staff/dead-letters",
    rpc="notifications.dead_letter_queues", tag="staff",
    summary="Each service's dead-letter queue and how many messages wait in it (admins only)",
    response=DeadLetterQueues, returns="The queues.", roles=ADMIN)

DEAD_LETTERS = Operation(
    id="deadLetters", method="GET", path="/api/staff/dead-letters/<service>",
    rpc="notifications.dead_letters", tag="staff",
    summary="The first messages parked for a service, with their errors, left in place "
            "(admins only)",
    path_values={"service": SERVICE_VALUE}, query=PeekQuery, response=ParkedMessages,
    returns="The queue's first messages.", roles=ADMIN,
    errors={"404": NO_QUEUE})

REPLAY_DEAD_LETTERS = Operation(
    id="replayDeadLetters", method="POST", path="/api/staff/dead-letters/<service>/replay",
    rpc="notifications.replay_dead_letters", tag="staff",
    summary="Send the first N (or all) parked messages back to the queues they failed on, "
            "with their retries reset (admins only)",
    path_values={"service": SERVICE_VALUE}, body=ReplayRequest, example={"count": 1},
    response=Replayed, returns="What was replayed and how many are left.", roles=ADMIN,
    errors={"404": NO_QUEUE, "409": conflict(
        "message 1: queue gone-queue does not exist; left in the dead-letter queue")})


# -- the unsubscribe link (hand-written route) -------------------------------------------------

class Unsubscribed(Schema):
    unsubscribed = fields.Boolean(required=True)
    list = fields.String(required=True, metadata={"example": "impact_update"})
