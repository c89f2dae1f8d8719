"""Request and response bodies of the donation routes (one-time gifts, staff payments, reports,
pledge self-service). The shape is checked here; the rules (bounds, tiers, dates) are the
donations service's, which answers InvalidInput in the same format."""

from __future__ import annotations

from typing import Any

from api.fields import (
    LOCALE_PATTERN,
    NOT_BLANK,
    Localised,
    in_calendar,
    iso_date,
    normalise_locale,
    ordered,
)
from marshmallow import RAISE, Schema, fields, post_dump, post_load, validate, validates_schema

from gateway.schemas import DonorFields, PostalAddress

YEN = {"description": "Whole yen (JPY has no minor unit).", "example": 10000}
LOCALE = validate.Regexp(LOCALE_PATTERN, error="Must be ja, en or ne, optionally with a region.")
TIERS = ("class", "connect", "community")
DESIGNATIONS = ("general", "family_friend", "spot_otonari", "hanamaru_class",
                "life_consultation")


def _yen(required: bool = True, **kwargs: Any) -> fields.Integer:
    return fields.Integer(required=required, strict=True,
                          validate=validate.Range(min=1, max=1_000_000_000), metadata=YEN,
                          **kwargs)


class Tier(Schema):
    id = fields.String(required=True, metadata={"example": "class"})
    amount = fields.Integer(required=True, metadata=YEN)
    impact = fields.Nested(Localised, required=True)


class Bounds(Schema):
    min = fields.Integer(required=True, metadata={"example": 500})
    max = fields.Integer(required=True, metadata={"example": 10000000})


class Designation(Schema):
    id = fields.String(required=True, metadata={"example": "hanamaru_class"})
    name = fields.Nested(Localised, required=True)


class BankAccount(Schema):
    """The account donors transfer to, from the organisation's settings."""

    bank = fields.String(required=True, metadata={"example": "住信SBIネット銀行"})
    bank_en = fields.String(required=True, metadata={"example": "Sumishin SBI Net Bank"})
    bank_code = fields.String(required=True, metadata={"example": "0038"})
    branch = fields.String(required=True, metadata={"example": "法人第一支店"})
    branch_en = fields.String(required=True, metadata={"example": "Corporate First Branch"})
    branch_code = fields.String(required=True, metadata={"example": "106"})
    type = fields.String(required=True, validate=validate.OneOf(
        ["ordinary", "current", "savings"]), metadata={"example": "ordinary"})
    number = fields.String(required=True, metadata={"example": "1418300"})
    holder = fields.String(required=True,
                           metadata={"example": "Japan Intercultural Intelligence"})
    holder_kana = fields.String(required=True, metadata={
        "description": "The holder's name as the bank prints it (katakana).",
        "example": "トクヒ）ジヤパンインターカルチユラルインテリジエンス"})


class DonationTiers(Schema):
    currency = fields.String(required=True, metadata={"example": "jpy"})
    bank_account = fields.Nested(BankAccount, allow_none=True, required=True, metadata={
        "description": "The bank-transfer account; null while none is configured."})
    tiers = fields.List(fields.Nested(Tier), required=True)
    free_amount = fields.Nested(Bounds, required=True)
    designations = fields.List(fields.Nested(Designation), required=True)


class DonationRequest(DonorFields):
    """A one-time card donation from the public site."""

    class Meta:
        unknown = RAISE

    amount = _yen()
    email = fields.Email(required=True, validate=validate.Length(max=254),
                         metadata={"example": "hanako@example.org"})
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK],
                         metadata={"example": "Yamada Hanako"})
    locale = fields.String(required=True, validate=LOCALE, metadata={"example": "ja-JP"})
    payment_method = fields.String(
        required=True, validate=[validate.Length(min=1, max=255), NOT_BLANK],
        metadata={"description": "Stripe PaymentMethod id created by Stripe.js.",
                  "example": "pm_card_visa"})
    tier = fields.String(allow_none=True, validate=validate.OneOf(TIERS),
                         metadata={"description": "A tier id from /api/donation-tiers; the "
                                                  "amount must then be the tier's."})
    designation = fields.String(validate=validate.OneOf(DESIGNATIONS),
                                metadata={"description": "general, or one program."})

    @post_load
    def _canonical_locale(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["locale"] = normalise_locale(data["locale"])
        return data


class DonationCreated(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={
        "description": "succeeded, requires_action (finish with Stripe.js) or pending. The "
                       "receipt follows by e-mail once Stripe confirms.", "example": "succeeded"})
    client_secret = fields.String(metadata={"example": "pi_123_secret_456"})

    @post_dump
    def _drop_absent(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {key: value for key, value in data.items() if value is not None}


class StaffPaymentRequest(DonorFields):
    class Meta:
        unknown = RAISE

    source = fields.String(required=True, validate=validate.OneOf(
        ["bank_transfer", "grant", "membership_fee"]))
    amount = _yen()
    paid_on = fields.Date(required=True, validate=in_calendar,
                          metadata={"example": "2026-03-31"})
    payer_name = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                        NOT_BLANK])
    payer_email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = fields.String(required=True, validate=LOCALE)
    reference = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                       NOT_BLANK],
                              metadata={"description": "Bank reference or grant agreement."})
    designation = fields.String(validate=validate.OneOf(DESIGNATIONS))
    tier = fields.String(allow_none=True, validate=validate.OneOf(TIERS), metadata={
        "description": "A tier id from /api/donation-tiers when the gift was given in one; "
                       "the amount must then be the tier's, as for a card gift."})

    @post_load
    def _plain(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["locale"] = normalise_locale(data["locale"])
        data["paid_on"] = data["paid_on"].isoformat()  # travels over RPC as JSON
        return data


class Payment(Schema):
    id = fields.String(required=True)
    supporter_id = fields.String(required=True)
    source = fields.String(required=True)
    amount = fields.Integer(required=True)
    refunded_amount = fields.Integer(required=True)
    currency = fields.String(required=True)
    receipt_number = fields.String(required=True, allow_none=True, metadata={
        "example": "R2026-000123",
        "description": "Given moments after the payment is recorded; null until then."})
    paid_at = fields.String(required=True)
    designation = fields.String(required=True)
    tier = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    disputed = fields.Boolean(required=True)


class ListedPayment(Payment):
    voided = fields.Boolean(required=True, metadata={
        "description": "Voided by staff: kept in the ledger, out of the totals."})


class PaymentPage(Schema):
    payments = fields.List(fields.Nested(ListedPayment), required=True)
    total = fields.Integer(required=True, metadata={"description": "How many match in all."})
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


class PledgeSummary(Schema):
    id = fields.String(required=True)
    amount = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(
        ["pending", "active", "paused", "past_due", "canceled"]))
    created_at = fields.String(required=True)
    started_at = fields.String(allow_none=True)
    canceled_at = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)


class SupporterDetail(Schema):
    supporter_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    locale = fields.String(required=True)
    donor_kind = fields.String(required=True)
    postal_address = fields.Nested(PostalAddress, allow_none=True)
    anonymized = fields.Boolean(required=True)
    pledges = fields.List(fields.Nested(PledgeSummary), required=True)
    payments = fields.List(fields.Nested(ListedPayment), required=True, metadata={
        "description": "The latest 100, newest first."})


class RefundRequest(Schema):
    class Meta:
        unknown = RAISE

    amount = _yen(required=False, allow_none=True)
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class ReportQuery(Schema):
    class Meta:
        unknown = RAISE

    from_ = fields.String(required=True, data_key="from", validate=iso_date)
    to = fields.String(required=True, validate=iso_date)
    format = fields.String(validate=validate.OneOf(["json", "csv"]))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        ordered(data, "from_", "to", ("from", "to"))


SOURCES = ("card_one_time", "monthly", "bank_transfer", "grant", "membership_fee")


class PaymentsQuery(Schema):
    class Meta:
        unknown = RAISE

    source = fields.String(validate=validate.OneOf(SOURCES))
    supporter = fields.UUID()
    from_ = fields.String(data_key="from", validate=iso_date)
    to = fields.String(validate=iso_date)
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
    offset = fields.Integer(validate=validate.Range(min=0, max=1_000_000))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        ordered(data, "from_", "to", ("from", "to"))


class StatementQuery(Schema):
    class Meta:
        unknown = RAISE

    format = fields.String(validate=validate.OneOf(["json", "csv"]))


class CancelRequest(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500),
                                                    NOT_BLANK])


class SelfServiceRequest(Schema):
    class Meta:
        unknown = RAISE

    token = fields.String(required=True, validate=validate.Length(min=10, max=1000),
                          metadata={"description": "The token of the signed link."})
    action = fields.String(required=True, validate=validate.OneOf(
        ["view", "change_amount", "pause", "resume", "cancel", "start_card_update",
         "finish_card_update"]), metadata={
        "description": "start_card_update answers a SetupIntent's client secret for "
                       "Stripe.js; finish_card_update (with setup_intent) makes its card the "
                       "pledge's and pays again any invoice the old card left unpaid."})
    amount = _yen(required=False, allow_none=True)
    reason = fields.String(allow_none=True, validate=validate.Length(min=1, max=500))
    setup_intent = fields.String(allow_none=True, validate=validate.Length(min=1, max=255),
                                 metadata={"example": "seti_123"})


class PledgeView(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"example": "active"})
    amount = fields.Integer(required=True, metadata=YEN)
    currency = fields.String(required=True)
    started_at = fields.String(allow_none=True)
    setup_client_secret = fields.String(metadata={
        "description": "start_card_update only: confirm the new card with Stripe.js "
                       "(confirmCardSetup).", "example": "seti_123_secret_456"})
    card_updated = fields.Boolean(metadata={"description": "finish_card_update only."})
    retried_invoices = fields.Integer(metadata={
        "description": "finish_card_update only: unpaid invoices paid again with the new "
                       "card; the pledge is active again once Stripe confirms."})


class Anonymized(Schema):
    supporter_id = fields.String(required=True)
    anonymized = fields.Boolean(required=True)


class Churn(Schema):
    """Monthly pledges lost within the period."""

    canceled = fields.Integer(required=True, metadata={
        "description": "Pledges canceled within the period."})
    active_at_start = fields.Integer(required=True, metadata={
        "description": "Pledges active (not paused) at the period's start."})
    started = fields.Integer(required=True, metadata={
        "description": "Pledges whose first payment came within the period."})
    at_risk = fields.Integer(required=True, metadata={
        "description": "Pledges the period could lose: active at its start, started during it, "
                       "or canceled during it (one paused at the start, then canceled)."})
    rate = fields.Float(required=True, allow_none=True, metadata={
        "description": "canceled ÷ at_risk, 0 to 1 (three pledges started and canceled in the "
                       "period are 1.0); null when at_risk is 0.", "example": 0.0417})
    reason = fields.String(metadata={"description": "Why rate is null (only then)."})


class Report(Schema):
    """See the donations service's reports module for every figure."""

    class Meta:
        unknown = RAISE

    from_ = fields.String(data_key="from", required=True)
    to = fields.String(required=True)
    currency = fields.String(required=True)
    total = fields.Dict(required=True)
    by_month = fields.List(fields.Dict(), required=True)
    by_source = fields.Dict(required=True)
    by_tier = fields.Dict(required=True)
    by_designation = fields.Dict(required=True)
    disputed_payments = fields.Integer(required=True)
    monthly_recurring_total = fields.Integer(required=True)
    active_partners = fields.Integer(required=True)
    active_pledges = fields.Integer(required=True)
    churn = fields.Nested(Churn, required=True)
    income_mix = fields.Dict(required=True)
    # Left out of every figure above, listed for the accountant (see donations' corrections).
    voided_payments = fields.List(fields.Dict(), required=True)
    voided_receipts = fields.List(fields.Dict(), required=True)


class Statement(Schema):
    supporter_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    donor_kind = fields.String(required=True, metadata={"example": "person"})
    postal_address = fields.Nested(PostalAddress, allow_none=True)
    year = fields.Integer(required=True)
    currency = fields.String(required=True)
    payments = fields.List(fields.Dict(), required=True)
    total = fields.Integer(required=True)


class BankTransferNotice(DonorFields):
    """A donor tells staff about a bank transfer they made."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK],
                         metadata={"example": "Yamada Hanako"})
    email = fields.Email(required=True, validate=validate.Length(max=254),
                         metadata={"example": "hanako@example.org"})
    locale = fields.String(required=True, validate=LOCALE, metadata={"example": "ja"})
    amount = _yen()
    transferred_on = fields.Date(required=True, metadata={"example": "2026-04-04"})
    payer_name = fields.String(allow_none=True, validate=validate.Length(max=200), metadata={
        "description": "The name the bank shows for the transfer (katakana).",
        "example": "ヤマダ ハナコ"})
    message = fields.String(allow_none=True, validate=validate.Length(max=2000))

    @post_load
    def _plain(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["locale"] = normalise_locale(data["locale"])
        data["transferred_on"] = data["transferred_on"].isoformat()  # JSON over RPC
        return data


class LinkRequest(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(required=True, validate=validate.Length(max=254),
                         metadata={"example": "hanako@example.org"})
    locale = fields.String(required=True, validate=LOCALE, metadata={"example": "ja"})

    @post_load
    def _canonical_locale(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["locale"] = normalise_locale(data["locale"])
        return data


class Received(Schema):
    received = fields.Boolean(required=True, metadata={"example": True})
