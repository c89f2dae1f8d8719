"""Request and response bodies of the programs routes (catalog, classes, consultations, impact).

As in `gateway.schemas`, these check the shape of a request; the programs service holds the
rules (capacity, consent, who may be assigned) and answers `InvalidInput` in the same format.
Loaded values stay JSON types (dates and ids as strings) because they travel on over RPC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.fields import (
    CURSOR_PATTERN,
    LOCALE_PATTERN,
    UUID_PATTERN,
    in_calendar,
    iso_date,
    iso_month,
    ordered,
)
from contracts.programs import SESSION_CANCEL_REASONS, TOPICS, URGENCIES
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
LOCALE = validate.Regexp(LOCALE_PATTERN, error="Must be ja, en or ne, optionally with a region.")
# re.match anchors at the start: leading spaces are allowed, an all-blank value is not.
NOT_BLANK = validate.Regexp(r"\s*\S", error="Must not be blank.")


def _aware_datetime(value: str) -> None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("Must be an ISO 8601 date and time.") from None
    if moment.tzinfo is None:
        raise ValidationError("Must carry a time zone (e.g. Z or +09:00).")
    in_calendar(moment.date())




def _text(max_length: int = 200, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max_length), NOT_BLANK], **kwargs)


def _uuid(metadata: dict[str, Any] | None = None, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(UUID_PATTERN, error="Must be a UUID."),
                         metadata={"format": "uuid", **(metadata or {})}, **kwargs)


def _language_list(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Regexp(LANGUAGE_TAG, error="Must be a language tag.")),
        validate=validate.Length(min=1, max=20), **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE  # a misspelt field is an error, not silently dropped


class Query(Schema):
    class Meta:
        unknown = RAISE  # a misspelt parameter is an error, not silently ignored


# -- catalog -------------------------------------------------------------------------------------

class CatalogProgram(Schema):
    id = fields.String(required=True, metadata={"example": "hanamaru-class"})
    name = fields.String(required=True, metadata={"example": "Hanamaru Class"})
    tagline = fields.String(required=True)
    description = fields.String(required=True)


class ProgramCatalog(Schema):
    lang = fields.String(required=True, metadata={
        "description": "The language served: the one asked for, or en (then ja) when it is not "
                       "available yet.", "example": "en"})
    programs = fields.List(fields.Nested(CatalogProgram), required=True)


class CatalogQuery(Query):
    lang = fields.String(load_default=None, validate=validate.Regexp(
        LANGUAGE_TAG, error="Must be a language tag such as ja, en or ne."))


# -- classes -------------------------------------------------------------------------------------

class ClassSession(Schema):
    id = fields.String(required=True)
    number = fields.Integer(required=True)
    starts_at = fields.String(required=True, metadata={"format": "date-time"})
    held = fields.Boolean(required=True)
    cancelled = fields.Boolean(required=True)
    cancel_reason = fields.String(allow_none=True, metadata={
        "description": "Why it was cancelled: " + ", ".join(SESSION_CANCEL_REASONS) + "."})


class HanamaruClass(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True, metadata={"example": "Hanamaru Class Shinjuku"})
    venue = fields.String(required=True, metadata={"example": "Shinjuku Community Centre"})
    schedule = fields.String(required=True, metadata={"example": "Saturdays 10:00-11:30"})
    level = fields.String(required=True, metadata={"example": "hiragana beginners"})
    capacity = fields.Integer(required=True, metadata={"example": 10})
    seats_left = fields.Integer(required=True, metadata={"example": 3})
    waitlist_length = fields.Integer(required=True, metadata={"example": 0})
    waitlist_open = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={"example": "open"})
    sessions = fields.List(fields.Nested(ClassSession), required=True)


class ClassList(Schema):
    classes = fields.List(fields.Nested(HanamaruClass), required=True)


class EnrollmentRequest(Strict):
    """A child signed up for a class by their guardian."""

    child_first_name = _text(100, required=True, metadata={"example": "Sita"})
    child_last_name = _text(100, required=True, metadata={"example": "Gurung"})
    child_age = fields.Integer(load_default=None, allow_none=True, strict=True,
                               metadata={"description": "Age or grade is required.",
                                         "example": 8})
    child_grade = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=50),
                                metadata={"example": "小学2年"})
    languages = _language_list(required=True, metadata={
        "description": "Languages the child speaks.", "example": ["ne", "ja"]})
    guardian_name = _text(required=True, metadata={"example": "Maya Gurung"})
    guardian_email = fields.Email(required=True, validate=validate.Length(max=254),
                                  metadata={"example": "maya@example.org"})
    guardian_locale = fields.String(required=True, validate=LOCALE, metadata={
        "description": "Language of the messages the guardian receives.", "example": "ne"})
    participation_consent = fields.Boolean(required=True, truthy={True}, falsy={False},
                                           metadata={"description": "Must be true."})
    photo_consent = fields.Boolean(required=True, truthy={True}, falsy={False})


class EnrollmentCreated(Schema):
    id = fields.String(required=True)
    class_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["confirmed", "waitlisted"]})
    position = fields.Integer(metadata={"description": "Place on the waitlist (waitlisted only)."})


class ClassSessionRequest(Strict):
    starts_at = fields.String(required=True, validate=_aware_datetime,
                              metadata={"format": "date-time"})


class ClassRequest(Strict):
    title = _text(required=True)
    venue = _text(required=True)
    schedule = _text(500, required=True)
    level = _text(100, required=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    waitlist_limit = fields.Integer(load_default=None, allow_none=True, strict=True,
                                    validate=validate.Range(min=0))
    tutors = fields.List(_text(), load_default=list)
    sessions = fields.List(fields.Nested(ClassSessionRequest), required=True,
                           validate=validate.Length(min=1))


class ClassRosterEntry(Schema):
    id = fields.String(required=True)
    child_first_name = fields.String(required=True)
    child_last_name = fields.String(required=True)
    child_age = fields.Integer(allow_none=True)
    child_grade = fields.String(allow_none=True)
    languages = fields.List(fields.String(), required=True)
    guardian_name = fields.String(required=True)
    guardian_email = fields.String(required=True)
    guardian_locale = fields.String(required=True)
    photo_consent = fields.Boolean(required=True)
    status = fields.String(required=True)
    promoted = fields.Boolean(required=True)
    position = fields.Integer()
    created_at = fields.String(required=True)
    confirmed_at = fields.String(allow_none=True)


class StaffClass(HanamaruClass):
    tutors = fields.List(fields.String(), required=True)
    waitlist_limit = fields.Integer(allow_none=True)
    confirmed = fields.Integer(required=True)


class ClassRoster(StaffClass):
    enrollments = fields.List(fields.Nested(ClassRosterEntry))


class CapacityRequest(Strict):
    capacity = fields.Integer(required=True, strict=True,
                              validate=validate.Range(min=1, max=500), metadata={"example": 12})


class CapacityChanged(StaffClass):
    promoted = fields.List(fields.String(), required=True, metadata={
        "description": "Enrolments moved from the waitlist to the new seats, first come first "
                       "served."})


class ClassUpdateRequest(Strict):
    """Any of these; the capacity by the rules of CapacityRequest (not below the seats taken,
    new seats to the waitlist first)."""

    title = _text()
    venue = _text()
    schedule = _text(500)
    level = _text(100)
    capacity = fields.Integer(strict=True, validate=validate.Range(min=1, max=500))

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Give at least one of title, venue, schedule, level or "
                                  "capacity.", "_schema")


class SessionCancelRequest(Strict):
    reason = fields.String(required=True, validate=validate.OneOf(SESSION_CANCEL_REASONS),
                           metadata={"description": "Told to each family in their language."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                         metadata={"description": "For staff only; required with reason "
                                                  "`other`."})

    @validates_schema
    def _other_explained(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("reason") == "other" and not (data.get("note") or "").strip():
            raise ValidationError("Say why in the note when the reason is other.", "note")


class SessionCancelled(ClassSession):
    class_id = fields.String(required=True)
    families_told = fields.Integer(required=True, metadata={
        "description": "Families with a seat, each told once by e-mail."})


class WithdrawRequest(Strict):
    reason = _text(500, required=True)


class Withdrawn(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    promoted = fields.String(allow_none=True, metadata={
        "description": "The enrolment promoted from the waitlist to the freed seat, if any."})


class EnrollmentByLink(Schema):
    """What the holder of a guardian's withdrawal link sees: nothing else about anyone."""

    class_title = fields.String(required=True, metadata={"example": "Hanamaru Class Shinjuku"})
    child_first_name = fields.String(required=True, metadata={"example": "Sita"})
    status = fields.String(required=True, metadata={
        "enum": ["confirmed", "waitlisted", "withdrawn"], "example": "confirmed"})


class AttendanceRequest(Strict):
    present = fields.List(_uuid(), required=True, metadata={
        "description": "Enrolments present at the session; every other seat is absent."})


class AttendanceRecorded(Schema):
    session_id = fields.String(required=True)
    class_id = fields.String(required=True)
    held_at = fields.String(required=True)
    attended = fields.Integer(required=True)
    enrolled = fields.Integer(required=True)
    revision = fields.Integer(required=True)


# -- consultations -------------------------------------------------------------------------------

class ConsultationRequest(Strict):
    """A resident asks the Daily Life Consultation Service for help."""

    topic = fields.String(required=True, validate=validate.OneOf(TOPICS))
    language = fields.String(required=True, validate=validate.Regexp(
        LANGUAGE_TAG, error="Must be a language tag."), metadata={
        "description": "The language the consultation is held in.", "example": "ne"})
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    summary = _text(4000, required=True)
    name = _text(required=True, metadata={"example": "Ram Thapa"})
    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = fields.String(required=True, validate=LOCALE)


class ConsultationCreated(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"example": "intake"})


class ExpertRequest(Strict):
    name = _text(required=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = fields.String(required=True, validate=LOCALE)
    profession = fields.String(required=True, validate=validate.OneOf(
        ["lawyer", "social_worker", "administrative_scrivener", "interpreter", "other"]))
    specialties = fields.List(fields.String(validate=validate.OneOf(TOPICS)), required=True,
                              validate=validate.Length(min=1))
    languages = _language_list(required=True)


class Expert(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    locale = fields.String(required=True)
    profession = fields.String(required=True)
    specialties = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
    open_cases = fields.Integer()


class ExpertList(Schema):
    experts = fields.List(fields.Nested(Expert), required=True)


class AssignRequest(Strict):
    expert_id = _uuid(load_default=None, allow_none=True, metadata={
        "description": "Absent: the expert in the topic who speaks the language and has the "
                       "fewest open cases."})


class StatusRequest(Strict):
    status = fields.String(required=True, validate=validate.OneOf(
        ["in_progress", "resolved", "referred", "closed"]))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class FollowUpRequest(Strict):
    due_on = fields.String(required=True, validate=iso_date, metadata={"format": "date"})
    what = _text(1000, required=True)


class FollowUp(Schema):
    id = fields.String(required=True)
    consultation_id = fields.String(required=True)
    due_on = fields.String(required=True, metadata={"format": "date"})
    what = fields.String(required=True)
    done = fields.Boolean(required=True)


class FollowUpList(Schema):
    follow_ups = fields.List(fields.Nested(FollowUp), required=True)


class FollowUpQuery(Query):
    until = fields.String(load_default=None, validate=iso_date)




class ConsultationQuery(Schema):
    """Staff search filters. A misspelt filter is an error: ignoring it would list every case."""

    class Meta:
        unknown = RAISE

    status = fields.String(validate=validate.OneOf(
        ["intake", "assigned", "in_progress", "resolved", "referred", "closed"]))
    topic = fields.String(validate=validate.OneOf(TOPICS))
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    expert_id = _uuid()
    language = fields.String(validate=validate.Regexp(LANGUAGE_TAG,
                                                      error="Must be a language tag."))
    opened_from = fields.String(validate=iso_date, metadata={"format": "date"})
    opened_to = fields.String(validate=iso_date, metadata={"format": "date"})
    limit = fields.Integer(validate=validate.Range(min=1, max=100))
    after = fields.String(validate=[validate.Length(min=1, max=200), validate.Regexp(
        CURSOR_PATTERN, error="Not a valid cursor.")])

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        ordered(data, "opened_from", "opened_to", ("opened_from", "opened_to"))


class ExpertRef(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class ConsultationSummary(Schema):
    """A case in a search result: enough to find it; open it for the rest."""

    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"example": "assigned"})
    topic = fields.String(required=True, metadata={"example": "residence_visa"})
    language = fields.String(required=True, metadata={"example": "ne"})
    urgency = fields.String(required=True, metadata={"example": "high"})
    resident_name = fields.String(required=True, metadata={"example": "Ram Thapa"})
    expert = fields.Nested(ExpertRef, allow_none=True)
    opened_at = fields.String(required=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})
    ended_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class ConsultationPage(Schema):
    consultations = fields.List(fields.Nested(ConsultationSummary), required=True)
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass as `after` (with the same filters) for the next page; null on the "
                       "last page."})


class ConsultationResident(Schema):
    name = fields.String(required=True)
    email = fields.String(required=True)
    locale = fields.String(required=True)


class ConsultationHistoryEntry(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String(required=True)
    actor = fields.String(required=True)
    note = fields.String(allow_none=True)
    at = fields.String(required=True)


class Consultation(Schema):
    """A case as staff see it; case notes are served separately, to fewer roles."""

    id = fields.String(required=True)
    topic = fields.String(required=True)
    language = fields.String(required=True)
    urgency = fields.String(required=True)
    summary = fields.String(required=True)
    status = fields.String(required=True)
    next_statuses = fields.List(fields.String(), required=True, metadata={
        "description": "The statuses it may be moved to now (POST .../status); assigning is "
                       "POST .../assign.", "example": ["in_progress", "closed"]})
    resident = fields.Nested(ConsultationResident, required=True)
    expert = fields.Nested(Expert, allow_none=True)
    opened_at = fields.String(required=True)
    ended_at = fields.String(allow_none=True)
    history = fields.List(fields.Nested(ConsultationHistoryEntry), required=True)
    follow_ups = fields.List(fields.Nested(FollowUp), required=True)


class CaseNoteRequest(Strict):
    body = _text(20000, required=True)


class CaseNote(Schema):
    id = fields.String(required=True)
    consultation_id = fields.String(required=True)
    author = fields.String(required=True)
    body = fields.String(required=True)
    created_at = fields.String(required=True)


class CaseNoteList(Schema):
    notes = fields.List(fields.Nested(CaseNote), required=True)


# -- impact --------------------------------------------------------------------------------------

class ImpactQuery(Query):
    from_ = fields.String(load_default=None, data_key="from", validate=iso_month)
    to = fields.String(load_default=None, validate=iso_month)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        ordered(data, "from_", "to", ("from", "to"))


class ImpactFigures(Schema):
    residents_supported = fields.Integer(required=True)
    pairings_completed = fields.Integer(required=True)
    spot_requests_done = fields.Integer(required=True)
    children_enrolled = fields.Integer(required=True)
    sessions_held = fields.Integer(required=True)
    attendances = fields.Integer(required=True)
    consultations_resolved = fields.Integer(required=True)
    yen_raised = fields.Integer(required=True, metadata={"description": "Net of refunds."})
    yen_raised_by_source = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                       required=True)


class ImpactMonth(ImpactFigures):
    month = fields.String(required=True, metadata={"example": "2026-04"})


class Impact(Schema):
    months = fields.List(fields.Nested(ImpactMonth), required=True)
    totals = fields.Nested(ImpactFigures, required=True)
