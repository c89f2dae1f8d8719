"""What the donations service accepts over RPC. The gateway validates too; this is the rule."""

from __future__ import annotations

from datetime import date

from contracts.locales import Locale
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)
from servicekit.tokyo import today_in_tokyo

from donations.tiers import DESIGNATIONS, tier

DONOR_KINDS = ("person", "company")
# A Japanese postal code, with or without its hyphen (stored as 123-4567).
POSTAL_CODE = r"^\d{3}-?\d{4}$"
_TEXT = validate.Regexp(r"\S", error="must not be blank")


class PostalAddress(Schema):
    """Where a tax receipt is sent: a Japanese address in its usual parts."""

    class Meta:
        unknown = RAISE

    postal_code = fields.String(required=True, validate=validate.Regexp(
        POSTAL_CODE, error="a postal code is seven digits, such as 150-0001"))
    prefecture = fields.String(required=True, validate=[validate.Length(min=1, max=40), _TEXT])
    city = fields.String(required=True, validate=[validate.Length(min=1, max=100), _TEXT])
    line1 = fields.String(required=True, validate=[validate.Length(min=1, max=200), _TEXT])
    line2 = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(max=200))

    @post_load
    def _normalise(self, data: dict, **_) -> dict:
        digits = data["postal_code"].replace("-", "")
        data["postal_code"] = f"{digits[:3]}-{digits[3:]}"
        for key in ("prefecture", "city", "line1", "line2"):
            data[key] = (data[key] or "").strip() or None
        return data


class DonorFields(Schema):
    """What a donor may add for a tax receipt: as a person or a company, and an address."""

    donor_kind = fields.String(load_default="person", validate=validate.OneOf(DONOR_KINDS))
    postal_address = fields.Nested(PostalAddress, load_default=None, allow_none=True)


class PledgeRequest(DonorFields):
    class Meta:
        unknown = RAISE

    amount = fields.Integer(required=True, strict=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    locale = Locale(required=True)
    payment_method = fields.String(
        required=True, validate=validate.Regexp(r"^pm_[A-Za-z0-9_]{1,200}$",
                                                error="not a Stripe PaymentMethod id")
    )

    def __init__(self, min_yen: int = 500, max_yen: int = 10_000_000, **kwargs):
        super().__init__(**kwargs)
        self.min_yen, self.max_yen = min_yen, max_yen

    @validates("amount")
    def _amount_in_bounds(self, value: int, **_) -> None:
        if not self.min_yen <= value <= self.max_yen:
            raise ValidationError(
                f"a monthly pledge is between {self.min_yen} and {self.max_yen} yen"
            )

    @post_load
    def _normalise(self, data: dict, **_) -> dict:
        data["name"] = data["name"].strip()
        return data


class DonationRequest(PledgeRequest):
    """A one-time card donation: a tier (its amount) or a free amount within the bounds."""

    tier = fields.String(load_default=None, allow_none=True)
    designation = fields.String(load_default="general", validate=validate.OneOf(DESIGNATIONS))

    @validates("amount")
    def _amount_in_bounds(self, value: int, **_) -> None:
        if not self.min_yen <= value <= self.max_yen:
            raise ValidationError(f"a donation is between {self.min_yen} and {self.max_yen} yen")

    @validates_schema
    def _tier_matches_amount(self, data: dict, **_) -> None:
        tier_amount_rule(data)


def tier_amount_rule(data: dict) -> None:
    """A gift given in a tier is the tier's amount: the report counts it as that tier, and the
    thank-you tells what that amount makes possible. Without a tier, any amount in bounds."""
    if data.get("tier") is None:
        return
    chosen = tier(data["tier"])
    if chosen is None:
        raise ValidationError("unknown tier", "tier")
    if data.get("amount") != chosen.amount:
        raise ValidationError(f"the {chosen.id} tier is {chosen.amount} yen", "amount")


STAFF_SOURCES = ("bank_transfer", "grant", "membership_fee")
PAYMENT_SOURCES = ("card_one_time", "monthly", *STAFF_SOURCES)


class StaffPaymentRequest(DonorFields):
    """A payment staff saw arrive outside Stripe (bank transfer, grant, membership fee)."""

    class Meta:
        unknown = RAISE

    source = fields.String(required=True, validate=validate.OneOf(STAFF_SOURCES))
    amount = fields.Integer(required=True, strict=True)
    paid_on = fields.Date(required=True)
    payer_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    payer_email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = Locale(required=True)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=200))
    designation = fields.String(load_default="general", validate=validate.OneOf(DESIGNATIONS))
    tier = fields.String(load_default=None, allow_none=True)

    def __init__(self, max_yen: int = 100_000_000, **kwargs):
        super().__init__(**kwargs)
        self.max_yen = max_yen

    @validates("amount")
    def _amount_positive(self, value: int, **_) -> None:
        if not 1 <= value <= self.max_yen:
            raise ValidationError(f"must be between 1 and {self.max_yen} yen")

    @validates("paid_on")
    def _not_in_future(self, value: date, **_) -> None:
        if value > today_in_tokyo() or value.year < 2000:
            raise ValidationError("must be a date between 2000 and today")

    @validates_schema
    def _tier_matches_amount(self, data: dict, **_) -> None:
        # The same rule as a card gift: a transfer recorded in the ¥10,000 tier is ¥10,000.
        tier_amount_rule(data)

    @post_load
    def _normalise(self, data: dict, **_) -> dict:
        data["payer_name"] = data["payer_name"].strip()
        return data


class RefundRequest(Schema):
    class Meta:
        unknown = RAISE

    # Absent: refund what is left of the payment.
    amount = fields.Integer(load_default=None, allow_none=True, strict=True,
                            validate=validate.Range(min=1, max=100_000_000))
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=500))


class ReportQuery(Schema):
    class Meta:
        unknown = RAISE

    # Inclusive calendar dates (UTC).
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))

    @validates_schema
    def _ordered(self, data: dict, **_) -> None:
        if "from_" in data and "to" in data:
            if data["from_"] > data["to"]:
                raise ValidationError("must not be after to", "from")
            if (data["to"] - data["from_"]).days > 3660:
                raise ValidationError("a report covers at most ten years", "to")


class PaymentsQuery(Schema):
    """Staff listing payments: filters and a page."""

    class Meta:
        unknown = RAISE

    source = fields.String(validate=validate.OneOf(PAYMENT_SOURCES))
    supporter_id = fields.UUID()
    # Inclusive calendar dates in Tokyo, as receipts date a payment.
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    limit = fields.Integer(load_default=50, strict=True, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, strict=True,
                            validate=validate.Range(min=0, max=1_000_000))

    @validates_schema
    def _ordered(self, data: dict, **_) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("must not be after to", "from")


class StatementQuery(Schema):
    class Meta:
        unknown = RAISE

    supporter_id = fields.UUID(required=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class CancelRequest(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class SelfServiceRequest(Schema):
    """A signed self-service link's token plus what the supporter wants done."""

    class Meta:
        unknown = RAISE

    token = fields.String(required=True, validate=validate.Length(min=10, max=1000))
    action = fields.String(required=True, validate=validate.OneOf(
        ["view", "change_amount", "pause", "resume", "cancel", "start_card_update",
         "finish_card_update"]))
    amount = fields.Integer(load_default=None, allow_none=True, strict=True)
    # finish_card_update: the SetupIntent Stripe.js confirmed with the new card.
    setup_intent = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^seti_[A-Za-z0-9_]{1,200}$", error="not a Stripe SetupIntent id"))
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=500))

    def __init__(self, min_yen: int = 500, max_yen: int = 10_000_000, **kwargs):
        super().__init__(**kwargs)
        self.min_yen, self.max_yen = min_yen, max_yen

    @validates_schema
    def _needs(self, data: dict, **_) -> None:
        if data.get("action") == "change_amount":
            amount = data.get("amount")
            if amount is None:
                raise ValidationError("required to change the amount", "amount")
            if not self.min_yen <= amount <= self.max_yen:
                raise ValidationError(
                    f"a monthly pledge is between {self.min_yen} and {self.max_yen} yen", "amount")
        if data.get("action") == "finish_card_update" and not data.get("setup_intent"):
            raise ValidationError("required to finish the card update", "setup_intent")
        if data.get("action") == "cancel" and not data.get("reason"):
            raise ValidationError("say why, in a few words", "reason")


class BankTransferNotice(DonorFields):
    """A donor tells staff about a bank transfer they made (staff then record it)."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), _TEXT])
    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = Locale(required=True)
    amount = fields.Integer(required=True, strict=True,
                            validate=validate.Range(min=1, max=100_000_000))
    transferred_on = fields.Date(required=True)
    payer_name = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(max=200))
    message = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=2000))

    @validates("transferred_on")
    def _recent(self, value: date, **_) -> None:
        today = today_in_tokyo()
        if value > today or (today - value).days > 366:
            raise ValidationError("must be a date within the past year")

    @post_load
    def _normalise(self, data: dict, **_) -> dict:
        data["name"] = data["name"].strip()
        for key in ("payer_name", "message"):
            data[key] = (data[key] or "").strip() or None
        return data


class LinkRequest(Schema):
    """Someone asks for fresh self-service links by e-mail address."""

    class Meta:
        unknown = RAISE

    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = Locale(required=True)

