"""Events published by the donations service.

Each event carries everything its consumers need (the supporter's name, e-mail and locale, the
amounts, the receipt number and the links to put in a message), so that notifications never has
to ask donations anything.
"""

from marshmallow import Schema, fields, validate

SOURCES = ("card_one_time", "monthly", "bank_transfer", "grant", "membership_fee")
# What staff record by hand (the rest come through Stripe).
STAFF_SOURCES = ("bank_transfer", "grant", "membership_fee")
DONOR_KINDS = ("person", "company")
DESIGNATIONS = ("general", "family_friend", "spot_otonari", "hanamaru_class",
                "life_consultation")
# The public donation tiers, id -> whole yen: a gift given in a tier is the tier's amount.
TIER_AMOUNTS: dict[str, int] = {"class": 10_000, "connect": 30_000, "community": 100_000}
PLEDGE_STATUSES = ("pending", "active", "paused", "past_due", "canceled")
RECEIPT = validate.Regexp(r"^R\d{4}-\d{6,}$")  # six digits, more past a million a year
# A tax receipt: a payment's number or an annual one (A2026-000001), with -2, -3... once reissued.
TAX_RECEIPT = validate.Regexp(r"^[RA]\d{4}-\d{6,}(-\d+)?$")


def _yen(required: bool = True) -> fields.Integer:
    return fields.Integer(required=required, strict=True, validate=validate.Range(min=1))


def _jpy() -> fields.String:
    return fields.String(required=True, validate=validate.Equal("jpy"))


class Supporter(Schema):
    supporter_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)
    locale = fields.String(required=True, validate=validate.Length(min=2, max=35))


class PledgeStarted(Supporter):
    pledge_id = fields.UUID(required=True)
    amount = _yen()
    currency = _jpy()
    started_at = fields.AwareDateTime(required=True)
    # The signed self-service page (change amount, pause, cancel), for the welcome e-mail.
    manage_url = fields.Url(required=False, require_tld=False)


class PaymentSucceeded(Supporter):
    payment_id = fields.UUID(required=True)
    pledge_id = fields.UUID(required=False, allow_none=True)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    first_of_pledge = fields.Boolean(required=True)
    amount = _yen()
    currency = _jpy()
    receipt_number = fields.String(required=True, validate=RECEIPT)
    paid_at = fields.AwareDateTime(required=True)
    tier = fields.String(required=False, allow_none=True)
    designation = fields.String(required=False)
    # What the tier makes possible and the designation's display name, in every language the
    # site serves ({"ja": ..., "en": ..., "ne": ...}), so the thank-you can say them.
    tier_impact = fields.Dict(keys=fields.String(), values=fields.String(), required=False)
    designation_name = fields.Dict(keys=fields.String(), values=fields.String(),
                                   required=False)
    manage_url = fields.Url(required=False, require_tld=False)
    # The signed link to the gift's tax receipt (PDF), for one-time gifts and bank transfers.
    receipt_url = fields.Url(required=False, require_tld=False)


class PledgeEvent(Supporter):
    """The common part of every pledge life-cycle event."""

    pledge_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(PLEDGE_STATUSES))
    amount = _yen()
    currency = _jpy()
    occurred_at = fields.AwareDateTime(required=True)
    # Who did it: "supporter" (self-service link), "staff:<subject>" or "stripe".
    actor = fields.String(required=True, validate=validate.Length(min=1, max=200))
    manage_url = fields.Url(required=False, require_tld=False)


class PledgeChanged(PledgeEvent):
    # amount: the monthly amount was changed in place; resumed: after a pause; recovered: a
    # past-due pledge was paid again.
    change = fields.String(required=True, validate=validate.OneOf(
        ["amount", "resumed", "recovered"]))
    previous_amount = _yen()


class PledgePaused(PledgeEvent):
    pass


class PledgePastDue(PledgeEvent):
    failure_reason = fields.String(required=True)
    # Where the supporter updates the card (the self-service page).
    update_card_url = fields.Url(required=False, require_tld=False)


class PledgeCanceled(PledgeEvent):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PaymentFailed(Supporter):
    pledge_id = fields.UUID(required=False, allow_none=True)
    donation_id = fields.UUID(required=False, allow_none=True)
    source = fields.String(required=True, validate=validate.OneOf(["card_one_time", "monthly"]))
    amount = _yen()
    currency = _jpy()
    failure_reason = fields.String(required=True)
    failed_at = fields.AwareDateTime(required=True)
    update_card_url = fields.Url(required=False, require_tld=False)


class PaymentRefunded(Supporter):
    payment_id = fields.UUID(required=True)
    refund_id = fields.UUID(required=True)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    receipt_number = fields.String(required=True, validate=RECEIPT)
    amount = _yen()  # this refund
    payment_amount = _yen()
    refunded_total = _yen()  # every refund of the payment so far, this one included
    fully_refunded = fields.Boolean(required=True)
    currency = _jpy()
    refunded_at = fields.AwareDateTime(required=True)


class PaymentDisputed(Schema):
    """The donor's bank contests a card payment: an alert for staff, so no personal data.

    Staff answer the dispute in Stripe before `evidence_due_by`; the payment and its receipt
    number are enough to find the supporter in the staff tools.
    """

    payment_id = fields.UUID(required=True)
    receipt_number = fields.String(required=True, validate=RECEIPT)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    amount = _yen()  # the amount contested
    currency = _jpy()
    dispute_id = fields.String(required=True, validate=validate.Length(min=1, max=255))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=100))
    disputed_at = fields.AwareDateTime(required=True)
    evidence_due_by = fields.AwareDateTime(required=False, allow_none=True)


class PaymentVoided(Schema):
    """A payment staff recorded by mistake was voided: it leaves the reports and the impact
    figures. No personal data: staff find the supporter by the receipt number."""

    payment_id = fields.UUID(required=True)
    receipt_number = fields.String(required=True, validate=RECEIPT)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    amount = _yen()
    currency = _jpy()
    paid_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    voided_by = fields.String(required=True, validate=validate.Length(min=1, max=200))
    voided_at = fields.AwareDateTime(required=True)
    # The tax receipts voided with it (its gift receipt, or an annual receipt listing it).
    voided_receipts = fields.List(fields.String(validate=TAX_RECEIPT), required=True)


class ReceiptLink(Schema):
    receipt_number = fields.String(required=True, validate=TAX_RECEIPT)
    kind = fields.String(required=True, validate=validate.OneOf(["gift", "annual"]))
    amount = _yen()
    url = fields.Url(required=True, require_tld=False)


class AnnualReceiptsReady(Supporter):
    """The year-end e-mail: a supporter's tax receipts for a tax year, each by signed link."""

    tax_year = fields.Integer(required=True, strict=True)
    currency = _jpy()
    total = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    receipts = fields.List(fields.Nested(ReceiptLink), required=True)
    # No receipt could be issued without the donor's postal address: the e-mail asks for it.
    address_missing = fields.Boolean(required=True)


class SupporterAnonymized(Schema):
    """No personal data: consumers erase what they hold for this supporter.

    `email_sha256` (hex of the lower-cased address) lets a consumer that keys its records by
    address find them without the address travelling again.
    """

    supporter_id = fields.UUID(required=True)
    email_sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    anonymized_at = fields.AwareDateTime(required=True)


class BankTransferNotified(Supporter):
    """A donor says they made a bank transfer; staff look for it and record it."""

    notice_id = fields.UUID(required=True)
    amount = _yen()
    currency = _jpy()
    transferred_on = fields.Date(required=True)
    # The name the bank shows for the transfer, when the donor gave it.
    payer_name = fields.String(required=False, allow_none=True)
    message = fields.String(required=False, allow_none=True)
    donor_kind = fields.String(required=True, validate=validate.OneOf(["person", "company"]))
    # A postal address was given for a tax receipt (it stays with the supporter in donations).
    receipt_requested = fields.Boolean(required=True)
    notified_at = fields.AwareDateTime(required=True)


class PledgeLinkRequested(Supporter):
    """A supporter asked for a fresh self-service link to one of their pledges."""

    pledge_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(PLEDGE_STATUSES))
    amount = _yen()
    currency = _jpy()
    manage_url = fields.Url(required=True, require_tld=False)
    requested_at = fields.AwareDateTime(required=True)


SCHEMAS = {
    ("pledge_started", 1): PledgeStarted,
    ("pledge_changed", 1): PledgeChanged,
    ("pledge_paused", 1): PledgePaused,
    ("pledge_past_due", 1): PledgePastDue,
    ("pledge_canceled", 1): PledgeCanceled,
    ("payment_succeeded", 1): PaymentSucceeded,
    ("payment_failed", 1): PaymentFailed,
    ("payment_refunded", 1): PaymentRefunded,
    ("payment_disputed", 1): PaymentDisputed,
    ("supporter_anonymized", 1): SupporterAnonymized,
    ("payment_voided", 1): PaymentVoided,
    ("annual_receipts_ready", 1): AnnualReceiptsReady,
    ("bank_transfer_notified", 1): BankTransferNotified,
    ("pledge_link_requested", 1): PledgeLinkRequested,
}
