"""What the matching service accepts over RPC. The gateway checks the shape; this is the rule
(vocabularies, ranges), answered as `InvalidInput` with field errors."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from contracts.locales import Locale
from contracts.matching import REJECT_REASONS, UNASSIGN_REASONS, WITHDRAW_REASONS
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
from servicekit import errors
from servicekit.paging import Page

from matching.profiles import (
    GENDERS,
    INTERESTS,
    LANGUAGE_INDEX,
    LEVELS,
    ROLES,
    SLOT_INDEX,
    areas,
)

NOT_BLANK = validate.Regexp(r"\S", error="Must not be blank.")
CLOSE_REASONS = ("moved", "lack_of_contact", "needs_changed", "safeguarding", "other")
SPOT_KINDS = ("city_hall", "nursery_enrolment", "hospital", "school", "language_support",
              "other")
PARTICIPANT_STATUSES = ("applied", "approved", "rejected", "withdrawn")
PAIRING_STATES = ("proposed", "superseded", "offered", "declined", "expired", "cancelled",
                  "active", "inactive", "completed", "closed_early")
SPOT_STATUSES = ("open", "assigned", "completed", "cancelled")


class LanguageSkill(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.OneOf(
        list(LANGUAGE_INDEX), error="Unknown language; use an ISO 639-1 code such as 'ne'."))
    level = fields.String(required=True, validate=validate.OneOf(list(LEVELS)))


class Coordinates(Schema):
    class Meta:
        unknown = RAISE

    lat = fields.Float(required=True, validate=validate.Range(20, 46))
    lon = fields.Float(required=True, validate=validate.Range(122, 154))


class Preferences(Schema):
    class Meta:
        unknown = RAISE

    partner_gender = fields.String(validate=validate.OneOf(GENDERS), allow_none=True)
    max_distance_km = fields.Float(validate=validate.Range(1, 200), allow_none=True)
    max_children = fields.Integer(strict=True, validate=validate.Range(0, 10), allow_none=True)


AGE = fields.Integer(strict=True, validate=validate.Range(0, 17, error="Ages are 0 to 17."))


def _known(vocabulary: dict[str, int] | tuple[str, ...], what: str, example: str):
    def check(values: list[str]) -> None:
        bad = sorted({v for v in values if v not in vocabulary})
        if bad:
            raise ValidationError(f"unknown {what}: {', '.join(bad)} (e.g. {example!r})")
        if len(set(values)) != len(values):
            raise ValidationError(f"a {what} is listed twice")

    return check


class Application(Schema):
    """A resident's, partner's or volunteer's application; the role comes from the route."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK])
    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = Locale(required=True)
    gender = fields.String(validate=validate.OneOf(GENDERS), allow_none=True)
    area = fields.String(required=True, validate=validate.Length(min=1, max=100))
    coordinates = fields.Nested(Coordinates)
    languages = fields.List(fields.Nested(LanguageSkill), required=True,
                            validate=validate.Length(min=1, max=10))
    household_size = fields.Integer(strict=True, load_default=1,
                                    validate=validate.Range(1, 20))
    children_ages = fields.List(AGE, load_default=list, validate=validate.Length(max=10))
    experience_ages = fields.List(AGE, load_default=list, validate=validate.Length(max=10))
    interests = fields.List(fields.String(), load_default=list,
                            validate=[validate.Length(max=20),
                                      _known(INTERESTS, "interest", "cooking")])
    slots = fields.List(fields.String(), required=True,
                        validate=[validate.Length(min=1, max=21),
                                  _known(SLOT_INDEX, "slot", "sat-morning")])
    preferences = fields.Nested(Preferences, load_default=dict)
    capacity = fields.Integer(strict=True, load_default=1, validate=validate.Range(1, 3))

    @validates("languages")
    def _distinct_languages(self, value: list[dict], **_: Any) -> None:
        codes = [skill.get("code") for skill in value if isinstance(skill, dict)]
        if len(set(codes)) != len(codes):
            raise ValidationError("a language is listed twice")

    @validates_schema
    def _area_known_or_placed(self, data: dict, **_: Any) -> None:
        # An area outside the shipped table is accepted only with its coordinates.
        if "area" in data and data["area"] not in areas() and "coordinates" not in data:
            raise ValidationError(
                "unknown area; use a municipality code such as 'shinjuku' or give coordinates",
                "area")

    @post_load
    def _normalise(self, data: dict, **_: Any) -> dict:
        data["name"] = data["name"].strip()
        data["languages"] = {s["code"]: LEVELS[s["level"]] for s in data["languages"]}
        if "coordinates" not in data:
            known = areas()[data["area"]]
            data["coordinates"] = {"lat": known.lat, "lon": known.lon}
        data["preferences"] = {k: v for k, v in data["preferences"].items() if v is not None}
        return data


class Approval(Schema):
    class Meta:
        unknown = RAISE

    capacity = fields.Integer(strict=True, validate=validate.Range(0, 3))


class Closing(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.OneOf(CLOSE_REASONS))
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)


class Checkin(Schema):
    class Meta:
        unknown = RAISE

    met_on = fields.Date(allow_none=True)
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)


class Response(Schema):
    class Meta:
        unknown = RAISE

    token = fields.String(required=True, validate=validate.Length(min=10, max=2000))
    answer = fields.String(required=True, validate=validate.OneOf(["accept", "decline"]))
    # With an acceptance: may the other side have this person's name and e-mail address?
    share_contact = fields.Boolean(load_default=False)


class SpotRequest(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK])
    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = Locale(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(SPOT_KINDS))
    starts_at = fields.AwareDateTime(required=True)
    area = fields.String(required=True, validate=validate.OneOf(
        list(areas()), error="unknown area; use a municipality code such as 'shinjuku'"))
    languages = fields.List(fields.String(), required=True,
                            validate=[validate.Length(min=1, max=5),
                                      _known(LANGUAGE_INDEX, "language", "ne")])
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)

    @post_load
    def _normalise(self, data: dict, **_: Any) -> dict:
        return data


class SpotAssignment(Schema):
    class Meta:
        unknown = RAISE

    volunteer_id = fields.UUID(required=True)


class SpotCompletion(Schema):
    class Meta:
        unknown = RAISE

    hours = fields.Float(required=True, validate=validate.Range(0.25, 24))


class SpotCancellation(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500), NOT_BLANK])


class Departure(Schema):
    """Why someone is turned away or leaves: a code for reports, a note for the staff (not in
    the event); "other" says what in the note."""

    class Meta:
        unknown = RAISE

    note = fields.String(validate=validate.Length(max=500), allow_none=True)

    @validates_schema
    def _other_is_explained(self, data: dict, **_: Any) -> None:
        if data.get("reason") == "other" and not (data.get("note") or "").strip():
            raise ValidationError("Say what the other reason is.", "note")


class Rejection(Departure):
    reason = fields.String(required=True, validate=validate.OneOf(REJECT_REASONS))


class Withdrawal(Departure):
    reason = fields.String(required=True, validate=validate.OneOf(WITHDRAW_REASONS))


class SpotReassignment(Departure):
    """Another volunteer takes an assigned request: who, and why the one assigned no longer
    goes (a code for the former volunteer's message, a note for the staff)."""

    volunteer_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(UNASSIGN_REASONS))
    # the volunteer the staff member saw assigned: a later change by someone else is refused
    replacing = fields.UUID(load_default=None)

    @post_load
    def _as_text(self, data: dict, **_: Any) -> dict:
        data["volunteer_id"] = str(data["volunteer_id"])
        if data["replacing"] is not None:
            data["replacing"] = str(data["replacing"])
        return data


class ParticipantQuery(Page):
    role = fields.String(validate=validate.OneOf(ROLES))
    status = fields.String(validate=validate.OneOf(PARTICIPANT_STATUSES))
    # free text (an area outside the table is allowed), but no NUL: PostgreSQL refuses it
    area = fields.String(validate=[validate.Length(min=1, max=100), validate.Regexp(
        r"^[^\x00-\x1f\x7f]+\Z", error="Must not hold control characters.")])
    language = fields.String(validate=validate.OneOf(
        list(LANGUAGE_INDEX), error="Unknown language; use an ISO 639-1 code such as 'ne'."))


class PairingQuery(Page):
    state = fields.String(validate=validate.OneOf(PAIRING_STATES))
    participant_id = fields.UUID()

    @post_load
    def _as_text(self, data: dict, **_: Any) -> dict:
        if "participant_id" in data:
            data["participant_id"] = str(data["participant_id"])
        return data


# Tokyo days whose bounds are still datetimes (year 1 in Tokyo begins in year 0 in UTC).
DAYS = validate.Range(min=date(1900, 1, 1), max=date(9998, 12, 31),
                      error="Must be a date from 1900-01-01 to 9998-12-31.")


class SpotRequestQuery(Page):
    status = fields.String(validate=validate.OneOf(SPOT_STATUSES))
    kind = fields.String(validate=validate.OneOf(SPOT_KINDS))
    from_ = fields.Date(data_key="from", validate=DAYS)
    to = fields.Date(validate=DAYS)

    @validates_schema
    def _ordered(self, data: dict, **_: Any) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("Must not be after to.", "from")


def identifier(value: Any, name: str) -> str:
    """An id from the path (`participant_id`), as the database writes it, or `InvalidInput`
    naming it: a malformed id is a bad request, not a record that happens to be missing."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise errors.InvalidInput(f"the {name.replace('_', ' ')} is not valid",
                                  {name: ["Not a valid UUID."]}) from None


def load(schema: Schema, request: Any, what: str) -> dict:
    """Validate an RPC payload, or raise `InvalidInput` with marshmallow's field errors."""
    return errors.load_request(schema, request, f"the {what} is not valid")
