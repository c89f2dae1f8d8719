"""What the programs service accepts over RPC. The gateway checks shapes too; this is the rule."""

from __future__ import annotations

from typing import Any

from contracts.locales import Locale, primary_language
from contracts.programs import SESSION_CANCEL_REASONS, TOPICS, URGENCIES
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

from programs.consultations import TRANSITIONS

PROFESSIONS = ("lawyer", "social_worker", "administrative_scrivener", "interpreter", "other")
# A language a person speaks: any BCP 47 primary language subtag, optionally with a region.
LANGUAGE_TAG = validate.Regexp(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                               error="Must be a language tag such as ja, en, ne or pt-BR.")
# re.match anchors at the start: leading spaces are allowed, an all-blank value is not.
NOT_BLANK = validate.Regexp(r"\s*\S", error="Must not be blank.")


def _text(max_length: int = 200, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max_length), NOT_BLANK], **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE  # a misspelt field is an error, not silently dropped


class SessionRequest(Strict):
    starts_at = fields.AwareDateTime(required=True)


CAPACITY = validate.Range(min=1, max=500)


class ClassRequest(Strict):
    title = _text(required=True)
    venue = _text(required=True)
    schedule = _text(500, required=True)
    level = _text(100, required=True)
    capacity = fields.Integer(required=True, strict=True, validate=CAPACITY)
    waitlist_limit = fields.Integer(load_default=None, allow_none=True, strict=True,
                                    validate=validate.Range(min=0, max=1000))
    tutors = fields.List(_text(), load_default=list, validate=validate.Length(max=50))
    sessions = fields.List(fields.Nested(SessionRequest), required=True,
                           validate=validate.Length(min=1, max=200))

    @post_load
    def _ordered_sessions(self, data: dict, **_: Any) -> dict:
        data["sessions"] = sorted(s["starts_at"] for s in data["sessions"])
        return data


class EnrollmentRequest(Strict):
    child_first_name = _text(100, required=True)
    child_last_name = _text(100, required=True)
    child_age = fields.Integer(load_default=None, allow_none=True, strict=True,
                               validate=validate.Range(min=3, max=18))
    child_grade = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=50))
    languages = fields.List(fields.String(validate=LANGUAGE_TAG), required=True,
                            validate=validate.Length(min=1, max=10))
    guardian_name = _text(required=True)
    guardian_email = fields.Email(required=True, validate=validate.Length(max=254))
    guardian_locale = Locale(required=True)
    participation_consent = fields.Boolean(required=True, truthy={True}, falsy={False})
    photo_consent = fields.Boolean(required=True, truthy={True}, falsy={False})

    @validates("participation_consent")
    def _consented(self, value: bool, **_: Any) -> None:
        if value is not True:
            raise ValidationError("The guardian must agree to the child taking part.")

    @validates_schema
    def _age_or_grade(self, data: dict, **_: Any) -> None:
        if data.get("child_age") is None and not data.get("child_grade"):
            raise ValidationError("Give the child's age or school grade.", "child_age")

    @post_load
    def _normalise(self, data: dict, **_: Any) -> dict:
        data["guardian_email"] = data["guardian_email"].strip()
        data["languages"] = sorted({primary_language(tag) for tag in data["languages"]})
        for key in ("child_first_name", "child_last_name", "guardian_name"):
            data[key] = " ".join(data[key].split())
        return data


class CapacityRequest(Strict):
    capacity = fields.Integer(required=True, strict=True, validate=CAPACITY)


class ClassUpdateRequest(Strict):
    """Any of the class's details; the capacity by the same rules as CapacityRequest."""

    title = _text()
    venue = _text()
    schedule = _text(500)
    level = _text(100)
    capacity = fields.Integer(strict=True, validate=CAPACITY)

    @validates_schema
    def _something(self, data: dict, **_: Any) -> None:
        if not data:
            raise ValidationError("Give at least one of title, venue, schedule, level or "
                                  "capacity.", "_schema")


class SessionCancelRequest(Strict):
    reason = fields.String(required=True, validate=validate.OneOf(SESSION_CANCEL_REASONS))
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=500))

    @validates_schema
    def _other_explained(self, data: dict, **_: Any) -> None:
        if data.get("reason") == "other" and not (data.get("note") or "").strip():
            raise ValidationError("Say why in the note when the reason is other.", "note")


class WithdrawRequest(Strict):
    reason = _text(500, required=True)


class AttendanceRequest(Strict):
    present = fields.List(fields.UUID(), required=True, validate=validate.Length(max=500))


class ConsultationRequest(Strict):
    topic = fields.String(required=True, validate=validate.OneOf(TOPICS))
    language = fields.String(required=True, validate=LANGUAGE_TAG)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    summary = _text(4000, required=True)
    name = _text(required=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = Locale(required=True)

    @post_load
    def _normalise(self, data: dict, **_: Any) -> dict:
        data["language"] = primary_language(data["language"])
        data["name"] = " ".join(data["name"].split())
        return data


class ExpertRequest(Strict):
    name = _text(required=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = Locale(required=True)
    profession = fields.String(required=True, validate=validate.OneOf(PROFESSIONS))
    specialties = fields.List(fields.String(validate=validate.OneOf(TOPICS)), required=True,
                              validate=validate.Length(min=1))
    languages = fields.List(fields.String(validate=LANGUAGE_TAG), required=True,
                            validate=validate.Length(min=1, max=20))

    @post_load
    def _normalise(self, data: dict, **_: Any) -> dict:
        data["specialties"] = sorted(set(data["specialties"]))
        data["languages"] = sorted({primary_language(tag) for tag in data["languages"]})
        return data


class AssignRequest(Strict):
    # Absent: the service picks the best-placed expert.
    expert_id = fields.UUID(load_default=None, allow_none=True)


class StatusRequest(Strict):
    status = fields.String(required=True, validate=validate.OneOf(
        ["in_progress", "resolved", "referred", "closed"]))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class FollowUpRequest(Strict):
    due_on = fields.Date(required=True)
    what = _text(1000, required=True)


class CaseNoteRequest(Strict):
    body = _text(20000, required=True)


class ConsultationQuery(Page):
    """Staff search filters; every one given must match."""

    status = fields.String(load_default=None, validate=validate.OneOf(tuple(TRANSITIONS)))
    topic = fields.String(load_default=None, validate=validate.OneOf(TOPICS))
    urgency = fields.String(load_default=None, validate=validate.OneOf(URGENCIES))
    expert_id = fields.UUID(load_default=None)
    language = fields.String(load_default=None, validate=LANGUAGE_TAG)
    opened_from = fields.Date(load_default=None)
    opened_to = fields.Date(load_default=None)
    limit = fields.Integer(load_default=50, strict=True, validate=validate.Range(min=1, max=100))

    @validates_schema
    def _ordered(self, data: dict, **_: Any) -> None:
        if data.get("opened_from") and data.get("opened_to") and \
                data["opened_from"] > data["opened_to"]:
            raise ValidationError("Must not be after opened_to.", "opened_from")

    @post_load
    def _normalise(self, data: dict, **_: Any) -> dict:
        if data["language"] is not None:
            data["language"] = primary_language(data["language"])  # stored as the primary subtag
        return data


MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Must be a month, YYYY-MM.")


class ImpactQuery(Strict):
    from_ = fields.String(load_default=None, allow_none=True, data_key="from", validate=MONTH)
    to = fields.String(load_default=None, allow_none=True, validate=MONTH)

    @validates_schema
    def _ordered(self, data: dict, **_: Any) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("Must not be after to.", "from")


def load(schema: Schema, request: Any, message: str) -> dict:
    """The request loaded through `schema`, or InvalidInput with marshmallow's field errors."""
    return errors.load_request(schema, request, message)
