"""Events published by the donations service."""

from marshmallow import Schema, fields, validate

LOCALES = ("ja", "en", "ne")


class Supporter(Schema):
    supporter_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)
    locale = fields.String(required=True, validate=validate.Length(min=2, max=35))


class PledgeStarted(Supporter):
    pledge_id = fields.UUID(required=True)
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    currency = fields.String(required=True, validate=validate.Equal("jpy"))
    started_at = fields.AwareDateTime(required=True)


class PaymentSucceeded(Supporter):
    payment_id = fields.UUID(required=True)
    pledge_id = fields.UUID(required=False, allow_none=True)
    source = fields.String(
        required=True,
        validate=validate.OneOf(
            ["card_one_time", "monthly", "bank_transfer", "grant", "membership_fee"]
        ),
    )
    first_of_pledge = fields.Boolean(required=True)
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    currency = fields.String(required=True, validate=validate.Equal("jpy"))
    receipt_number = fields.String(
        required=True, validate=validate.Regexp(r"^R\d{4}-\d{6}$")
    )
    paid_at = fields.AwareDateTime(required=True)


SCHEMAS = {
    ("pledge_started", 1): PledgeStarted,
    ("payment_succeeded", 1): PaymentSucceeded,
}
