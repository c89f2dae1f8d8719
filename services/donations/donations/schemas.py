"""What the donations service accepts over RPC. The gateway validates too; this is the rule."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates

SUPPORTED_LANGUAGES = ("ja", "en", "ne")


def language_of(tag: str) -> str:
    """The supported language of a BCP 47 tag ('ja-JP' → 'ja'); ValueError when unsupported."""
    language = tag.replace("_", "-").split("-", 1)[0].lower()
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported locale {tag!r}; use one of {', '.join(SUPPORTED_LANGUAGES)}")
    return language


class PledgeRequest(Schema):
    class Meta:
        unknown = RAISE

    amount = fields.Integer(required=True, strict=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    locale = fields.String(required=True, validate=validate.Length(min=2, max=35))
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

    @validates("locale")
    def _locale_supported(self, value: str, **_) -> None:
        try:
            language_of(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    @post_load
    def _normalise(self, data: dict, **_) -> dict:
        data["locale"] = language_of(data["locale"])
        data["name"] = data["name"].strip()
        return data
