"""The gateway's own bodies (health, readiness, problems); each area's are in `api.<area>`.

The same classes validate requests, shape responses and generate the OpenAPI document, so the
documentation cannot drift from what the gateway accepts. Validation here is about the shape of
a request (types, formats, required fields); business rules such as the minimum pledge belong to
the service, which answers `InvalidInput` with field errors in the same format.
"""

from __future__ import annotations

import re

from contracts.locales import LOCALES
from marshmallow import Schema, fields

LANGUAGES = LOCALES


class Health(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class Readiness(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})
    services = fields.Dict(
        keys=fields.String(), values=fields.String(), required=True,
        metadata={"description": "State of each service: ok, not running, timeout or error.",
                  "example": {"donations": "ok", "matching": "ok", "programs": "ok",
                              "notifications": "ok"}},
    )


class Problem(Schema):
    """RFC 9457 problem details, with the extensions this API adds."""

    type = fields.String(required=True, metadata={
        "description": "URI reference naming the kind of problem; about:blank when the "
                       "status code says it all.", "example": "/problems/invalid-input"})
    title = fields.String(required=True, metadata={"example": "Invalid input"})
    status = fields.Integer(required=True, metadata={"example": 400})
    detail = fields.String(required=True, metadata={
        "example": "The request body has invalid fields."})
    instance = fields.String(required=True, metadata={
        "description": "The path of the request that failed.", "example": "/api/pledges"})
    request_id = fields.String(required=True, metadata={
        "description": "Same value as the X-Request-ID response header.",
        "example": "2f1c0a4e-8a53-4a8e-9d0f-5a0c8e1b7c3d"})
    errors = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "Messages per field (dotted path) for invalid input.",
                  "example": {"amount": ["Must be greater than or equal to 1."]}},
    )
    in_ = fields.String(data_key="in", metadata={
        "description": "Where the invalid fields are: query (the query string's parameters; "
                       "invalid-query only).", "example": "query"})
    reason = fields.String(metadata={
        "description": "Why the card was declined (402 only).", "example": "insufficient_funds"})
    header = fields.String(metadata={
        "description": "The missing header (missing-header only).", "example": "Stripe-Signature"})
    unavailable = fields.List(fields.String(), metadata={
        "description": "Services that did not answer (readiness only).",
        "example": ["matching"]})
    services = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "State of each service (readiness only).",
        "example": {"donations": "ok", "matching": "timeout"}})


REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
