"""`GET /api/staff/events`: the recent-events feed for staff tools (see `gateway.feed`)."""

from __future__ import annotations

import time
from typing import Any

import eventlet
from api.doc import SERVER_ERRORS, STAFF_AUTH, UNAUTHORIZED, forbidden, ok
from marshmallow import RAISE, Schema, fields, validate
from werkzeug.wrappers import Request, Response

from gateway import feed
from gateway.web import http, json_response

ROLES = ("admin", "staff")
TYPE_PATTERN = r"^[a-z][a-z0-9_]{0,99}$"
MAX_WAIT_SECONDS = 25
# How often a waiting request looks for new rows; they may come from another gateway instance.
WAIT_POLL_SECONDS = 0.1


class EventsQuery(Schema):
    class Meta:
        unknown = RAISE

    # a feed cursor is a BIGSERIAL: past its range it is a 400, not a database error
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**63 - 1))
    limit = fields.Integer(load_default=feed.DEFAULT_PAGE,
                           validate=validate.Range(min=1, max=feed.MAX_PAGE))
    type = fields.String(validate=validate.Regexp(TYPE_PATTERN))
    source = fields.String(validate=validate.OneOf(feed.SOURCES))
    wait = fields.Float(load_default=0, validate=validate.Range(min=0, max=MAX_WAIT_SECONDS))


class FeedEvent(Schema):
    cursor = fields.Integer(required=True, metadata={"description": "Pass as `after=` to read "
                                                                    "the events after this one."})
    id = fields.UUID(required=True)
    type = fields.String(required=True)
    version = fields.Integer(required=True)
    source = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    correlation_id = fields.String(required=True)
    data = fields.Dict(required=True)


class EventFeed(Schema):
    events = fields.List(fields.Nested(FeedEvent), required=True)
    next = fields.Integer(required=True, metadata={
        "description": "The cursor to poll with next (`after=`): the last event's, or the "
                       "one asked for when there is nothing newer."})


class EventRoutes:
    """Needs `db`, `staff` and the `record_events` consumer on the service."""

    @http("GET", "/api/staff/events", query=EventsQuery)
    def staff_events(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *ROLES)
        deadline = time.monotonic() + query["wait"]
        while True:
            with self.db.transaction() as conn:
                events = feed.page(conn, query["after"], query["limit"], query.get("type"),
                                   query.get("source"))
            if events or time.monotonic() >= deadline:
                break
            eventlet.sleep(WAIT_POLL_SECONDS)
        following = events[-1]["cursor"] if events else query["after"]
        return json_response(EventFeed().dump({"events": events, "next": following}))


COMPONENTS = {"FeedEvent": FeedEvent, "EventFeed": EventFeed}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/staff/events", "get"): {
        "operationId": "staffEvents",
        "tags": ["staff"],
        "summary": "Recent events of every service, oldest first, for staff tools to poll",
        "description": "Each event once, as published (its data carries names and e-mail "
                       "addresses). Poll with `after=` set to the previous answer's `next`.",
        "security": STAFF_AUTH,
        "parameters": [
            {"in": "query", "name": "after", "required": False,
             "description": "Only events after this cursor.",
             "schema": {"type": "integer", "minimum": 0, "default": 0}},
            {"in": "query", "name": "limit", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": feed.MAX_PAGE,
                        "default": feed.DEFAULT_PAGE}},
            {"in": "query", "name": "type", "required": False,
             "description": "Only events of this type, e.g. `payment_succeeded`.",
             "schema": {"type": "string", "pattern": TYPE_PATTERN}},
            {"in": "query", "name": "source", "required": False,
             "description": "Only events of this service.",
             "schema": {"type": "string", "enum": list(feed.SOURCES)}},
            {"in": "query", "name": "wait", "required": False,
             "description": "Long poll: when nothing is newer, hold the answer up to this many "
                            "seconds until something is (it holds one gateway worker).",
             "schema": {"type": "number", "minimum": 0, "maximum": MAX_WAIT_SECONDS,
                        "default": 0}},
        ],
        "responses": {
            "200": ok("A page of events.", EventFeed, {
                "events": [{
                    "cursor": 41, "id": "7d0c5c8e-2f0b-4e43-9a55-0f1f4b7d2b11",
                    "type": "payment_succeeded", "version": 1, "source": "donations",
                    "occurred_at": "2026-04-01T09:30:00+00:00",
                    "correlation_id": "2f1c0a4e-8a53-4a8e-9d0f-5a0c8e1b7c3d",
                    "data": {"amount": 3000, "currency": "jpy"}}],
                "next": 41}),
            "400": "InvalidQuery",
            "401": UNAUTHORIZED, "403": forbidden(ROLES), **SERVER_ERRORS,
        },
    },
}
