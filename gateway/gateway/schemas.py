"""Request and response bodies of the HTTP API.

The same classes validate requests, shape responses and generate the OpenAPI document, so the
documentation cannot drift from what the gateway accepts. Validation here is about the shape of
a request (types, formats, required fields); business rules such as the minimum pledge belong to
the service, which answers `InvalidInput` with field errors in the same format.
"""

from __future__ import annotations

import re
from typing import Any

from api.fields import LOCALE_PATTERN, NOT_BLANK, normalise_locale
from contracts.locales import LOCALES
from marshmallow import (
    RAISE,
    Schema,
    fields,
    post_dump,
    post_load,
    validate,
)

LANGUAGES = LOCALES


class PostalAddress(Schema):
    """A Japanese postal address, for a tax receipt (寄附金受領証明書)."""

    class Meta:
        unknown = RAISE

    postal_code = fields.String(required=True, validate=validate.Regexp(
        r"^\d{3}-?\d{4}$", error="Must be a Japanese postal code, such as 150-0001."),
        metadata={"example": "150-0001"})
    prefecture = fields.String(required=True, validate=[validate.Length(min=1, max=40),
                                                        NOT_BLANK],
                               metadata={"example": "東京都"})
    city = fields.String(required=True, validate=[validate.Length(min=1, max=100), NOT_BLANK],
                         metadata={"example": "渋谷区"})
    line1 = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK],
                          metadata={"description": "Town, block and number.",
                                    "example": "神宮前1-2-3"})
    line2 = fields.String(allow_none=True, validate=validate.Length(max=200),
                          metadata={"description": "Building and room, if any.",
                                    "example": "おとなりビル 201"})


class DonorFields(Schema):
    """Optional details a donor gives for a tax receipt."""

    donor_kind = fields.String(validate=validate.OneOf(["person", "company"]), metadata={
        "description": "Whether the donor gives as a person (the default) or a company.",
        "example": "person"})
    postal_address = fields.Nested(PostalAddress, allow_none=True, metadata={
        "description": "Where a tax receipt is sent. Stored with the supporter, never "
                       "logged; erased when the supporter is anonymised."})


class PledgeRequest(DonorFields):
    """A monthly pledge started from the public site."""

    class Meta:
        unknown = RAISE  # a misspelt field is an error, not silently dropped

    amount = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1),
        metadata={"description": "Monthly amount in whole yen (JPY has no minor unit).",
                  "example": 3000},
    )
    email = fields.Email(required=True, validate=validate.Length(max=254),
                         metadata={"example": "hanako@example.org"})
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK],
                         metadata={"example": "Yamada Hanako"})
    locale = fields.String(
        required=True,
        validate=validate.Regexp(LOCALE_PATTERN,
                                 error="Must be ja, en or ne, optionally with a region."),
        metadata={"description": "BCP 47 tag: the language of every message sent to the "
                                 "supporter.", "example": "ja-JP"},
    )
    payment_method = fields.String(
        required=True, validate=[validate.Length(min=1, max=255), NOT_BLANK],
        metadata={"description": "Stripe PaymentMethod id created by Stripe.js.",
                  "example": "pm_card_visa"},
    )

    @post_load
    def _canonical_locale(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["locale"] = normalise_locale(data["locale"])
        return data


class PledgeCreated(Schema):
    id = fields.String(required=True, metadata={"example": "7b0c6d1e-3f7a-4d5e-9a51-0c2f4e8b9d10"})
    status = fields.String(required=True, metadata={
        "description": "pending until Stripe confirms the first payment.", "example": "pending"})
    client_secret = fields.String(metadata={
        "description": "Present when the browser must finish the payment (3-D Secure) with "
                       "Stripe.js.", "example": "pi_123_secret_456"})

    @post_dump
    def _drop_absent(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # Optional members are omitted rather than sent as null.
        return {key: value for key, value in data.items() if value is not None}


class WebhookReceived(Schema):
    received = fields.Boolean(required=True, metadata={"example": True})


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
