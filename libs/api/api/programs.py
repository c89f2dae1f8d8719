"""The programs service's operations: the catalog, Hanamaru classes and sign-ups,
consultations and the public impact figures, with the staff side of classes (roster, capacity,
sessions, withdrawals, attendance) and of consultations (experts, search, assignment, states,
follow-ups, case notes).

The guardian's withdrawal link stays a hand-written route (it answers pages to browsers); its
path is declared here (`WITHDRAWAL_LINK`) for that route and for the links programs mails.
"""

from __future__ import annotations

from typing import Any

from contracts.locales import Locale, primary_language
from contracts.programs import (
    CONSULTATION_STATUSES,
    PROFESSIONS,
    SESSION_CANCEL_REASONS,
    STATUS_CHANGES,
    TOPICS,
    URGENCIES,
)
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)
from servicekit import paging

from api.doc import conflict, not_found, problem
from api.fields import (
    LANGUAGE_TAG,
    MONTH_PATTERN,
    Cursor,
    Day,
    Query,
    Strict,
    aware_in_calendar,
    iso_month,
    next_cursor,
    ordered,
    text,
)
from api.operation import Operation, fill_path

CLASS_ROLES = ("admin", "staff")
CASE_ROLES = ("admin", "staff", "consultant")
# Case notes are confidential: staff who run the office do not read them.
NOTE_ROLES = ("admin", "consultant")
ADMIN = ("admin",)
CAPACITY = validate.Range(min=1, max=500)
LOCALE_DESCRIPTION = "ja, en or ne, optionally with a region (e.g. ne-NP)."


def _languages(most: int, **kwargs: Any) -> fields.List:
    return fields.List(fields.String(validate=LANGUAGE_TAG), required=True,
                       validate=validate.Length(min=1, max=most), **kwargs)


def _one_spaced(data: dict[str, Any], *names: str) -> None:
    for name in names:
        data[name] = " ".join(data[name].split())


# -- the catalog -------------------------------------------------------------------------------

class CatalogQuery(Query):
    lang = fields.String(validate=LANGUAGE_TAG, metadata={
        "description": "BCP 47 tag; ja, en and ne are available, others fall back to en.",
        "example": "ne"})


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


LIST_PROGRAMS = Operation(
    id="listPrograms", method="GET", path="/api/programs", rpc="programs.program_catalog",
    tag="programs", summary="The four programs, described in the language asked for",
    query=CatalogQuery, response=ProgramCatalog, returns="The catalog.", cache="public")


# -- classes: what families see ----------------------------------------------------------------

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

    child_first_name = text(100, required=True, metadata={"example": "Sita"})
    child_last_name = text(100, required=True, metadata={"example": "Gurung"})
    child_age = fields.Integer(load_default=None, allow_none=True, strict=True,
                               validate=validate.Range(min=3, max=18),
                               metadata={"description": "Age or grade is required.",
                                         "example": 8})
    # Not blank: a grade of spaces would otherwise stand in for the age.
    child_grade = text(50, load_default=None, allow_none=True, metadata={"example": "小学2年"})
    languages = _languages(10, metadata={"description": "Languages the child speaks.",
                                         "example": ["ne", "ja"]})
    guardian_name = text(required=True, metadata={"example": "Maya Gurung"})
    guardian_email = fields.Email(required=True, validate=validate.Length(max=254),
                                  metadata={"example": "maya@example.org"})
    guardian_locale = Locale(required=True, metadata={
        "description": "Language of the messages the guardian receives: " + LOCALE_DESCRIPTION,
        "example": "ne"})
    participation_consent = fields.Boolean(required=True, truthy={True}, falsy={False},
                                           metadata={"description": "Must be true."})
    photo_consent = fields.Boolean(required=True, truthy={True}, falsy={False})

    @validates("participation_consent")
    def _consented(self, value: bool, **_: Any) -> None:
        if value is not True:
            raise ValidationError("The guardian must agree to the child taking part.")

    @validates_schema
    def _age_or_grade(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("child_age") is None and not data.get("child_grade"):
            raise ValidationError("Give the child's age or school grade.", "child_age")

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["guardian_email"] = data["guardian_email"].strip()
        data["languages"] = sorted({primary_language(tag) for tag in data["languages"]})
        _one_spaced(data, "child_first_name", "child_last_name", "guardian_name")
        return data


class EnrollmentCreated(Schema):
    id = fields.String(required=True)
    class_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["confirmed", "waitlisted"]})
    position = fields.Integer(metadata={"description": "Place on the waitlist (waitlisted only)."})


class EnrollmentByLink(Schema):
    """What the holder of a guardian's withdrawal link sees: nothing else about anyone."""

    class_title = fields.String(required=True, metadata={"example": "Hanamaru Class Shinjuku"})
    child_first_name = fields.String(required=True, metadata={"example": "Sita"})
    status = fields.String(required=True, metadata={
        "enum": ["confirmed", "waitlisted", "withdrawn"], "example": "confirmed"})


NO_CLASS = not_found("class")
ENROLLMENT_EXAMPLE = {
    "child_first_name": "Sita", "child_last_name": "Gurung", "child_age": 8,
    "languages": ["ne", "ja"], "guardian_name": "Maya Gurung",
    "guardian_email": "maya@example.org", "guardian_locale": "ne",
    "participation_consent": True, "photo_consent": False,
}

LIST_CLASSES = Operation(
    id="listClasses", method="GET", path="/api/classes", rpc="programs.list_classes",
    tag="programs",
    summary="Hanamaru classes open for sign-up, with seats left and waitlist length",
    # Seats left change with every sign-up: revalidated on each use, never kept stale.
    response=ClassList, returns="Open classes.", cache="revalidate")

ENROLL_CHILD = Operation(
    id="enrollChild", method="POST", path="/api/classes/<class_id>/enrollments",
    rpc="programs.enroll_child", tag="programs",
    summary="Sign a child up for a class: a seat if one is free, else the waitlist",
    description="Seats go first come, first served; when the class is full the child waits in "
                "arrival order and is moved up automatically when a seat frees. The same child "
                "cannot be signed up twice for a class.",
    body=EnrollmentRequest, example=ENROLLMENT_EXAMPLE, status=201,
    response=EnrollmentCreated, returns="Confirmed, or waitlisted with its position.",
    response_example={"id": "5e7c2b8a-1d4f-4e3a-9b6c-7a8d9e0f1a2b",
                      "class_id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
                      "status": "waitlisted", "position": 3},
    errors={"404": NO_CLASS, "409": conflict(
        "this child is already enrolled in this class or on its waitlist")})

# The guardian's withdrawal link, in the enrolment e-mails: hand-written routes (GET shows,
# POST withdraws), answering a page to a browser and `EnrollmentByLink` otherwise.
WITHDRAWAL_LINK = "/api/class-enrollments/withdraw/<token>"


def withdrawal_link(token: str) -> str:
    """The path of a guardian's withdrawal link, for the programs service to mail."""
    return fill_path(WITHDRAWAL_LINK, token=token)


# The link routes' own problems, for their hand-written descriptions
BAD_LINK = problem(400, "bad-signature", "Bad signature",
                   "this link has expired; ask the JII office for help")
NO_ENROLLMENT = not_found("enrollment")


# -- classes: staff ----------------------------------------------------------------------------

class ClassSessionRequest(Strict):
    starts_at = fields.AwareDateTime(required=True, validate=aware_in_calendar, error_messages={
        "invalid": "Must be an ISO 8601 date and time.",
        "invalid_awareness": "Must carry a time zone (e.g. Z or +09:00)."})


class ClassRequest(Strict):
    title = text(required=True)
    venue = text(required=True)
    schedule = text(500, required=True)
    level = text(100, required=True)
    capacity = fields.Integer(required=True, strict=True, validate=CAPACITY)
    waitlist_limit = fields.Integer(load_default=None, allow_none=True, strict=True,
                                    validate=validate.Range(min=0, max=1000))
    tutors = fields.List(text(), load_default=list, validate=validate.Length(max=50))
    sessions = fields.List(fields.Nested(ClassSessionRequest), required=True,
                           validate=validate.Length(min=1, max=200))

    @post_load
    def _ordered_sessions(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["sessions"] = sorted(session["starts_at"] for session in data["sessions"])
        return data


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
    capacity = fields.Integer(required=True, strict=True, validate=CAPACITY,
                              metadata={"example": 12})


class CapacityChanged(StaffClass):
    promoted = fields.List(fields.String(), required=True, metadata={
        "description": "Enrolments moved from the waitlist to the new seats, first come first "
                       "served."})


class ClassUpdateRequest(Strict):
    """Any of these; the capacity by the rules of CapacityRequest (not below the seats taken,
    new seats to the waitlist first)."""

    title = text()
    venue = text()
    schedule = text(500)
    level = text(100)
    capacity = fields.Integer(strict=True, validate=CAPACITY)

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
    reason = text(500, required=True)


class Withdrawn(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    promoted = fields.String(allow_none=True, metadata={
        "description": "The enrolment promoted from the waitlist to the freed seat, if any."})


class AttendanceRequest(Strict):
    present = fields.List(fields.UUID(), required=True, validate=validate.Length(max=500),
                          metadata={"description": "Enrolments present at the session; every "
                                                   "other seat is absent."})


class AttendanceRecorded(Schema):
    session_id = fields.String(required=True)
    class_id = fields.String(required=True)
    held_at = fields.String(required=True)
    attended = fields.Integer(required=True)
    enrolled = fields.Integer(required=True)
    revision = fields.Integer(required=True)


CAPACITY_CONFLICT = conflict("7 children have a seat in this class; the capacity cannot go "
                             "below 7")

CREATE_CLASS = Operation(
    id="createClass", method="POST", path="/api/staff/classes", rpc="programs.create_class",
    tag="staff", summary="Create a Hanamaru class with its sessions (admin, staff)",
    body=ClassRequest, example={
        "title": "Hanamaru Class Shinjuku", "venue": "Shinjuku Community Centre",
        "schedule": "Saturdays 10:00-11:30", "level": "hiragana beginners",
        "capacity": 10, "waitlist_limit": 20, "tutors": ["Suzuki Kei"],
        "sessions": [{"starts_at": "2026-05-09T10:00:00+09:00"}]},
    status=201, response=ClassRoster, returns="The class.", roles=CLASS_ROLES)

CLASS_ROSTER = Operation(
    id="classRoster", method="GET", path="/api/staff/classes/<class_id>",
    rpc="programs.class_roster", tag="staff",
    summary="A class with its children, confirmed and waiting in order",
    response=ClassRoster, returns="The roster.", roles=CLASS_ROLES, errors={"404": NO_CLASS})

CHANGE_CLASS_CAPACITY = Operation(
    id="changeClassCapacity", method="POST", path="/api/staff/classes/<class_id>/capacity",
    rpc="programs.change_class_capacity", tag="staff",
    summary="Change a class's capacity (admin, staff); new seats go to the children waiting, "
            "first come first served",
    body=CapacityRequest, example={"capacity": 12}, response=CapacityChanged,
    returns="The class after the change, with the enrolments promoted.", roles=CLASS_ROLES,
    errors={"404": NO_CLASS, "409": CAPACITY_CONFLICT})

UPDATE_CLASS = Operation(
    id="updateClass", method="PATCH", path="/api/staff/classes/<class_id>",
    rpc="programs.update_class", tag="staff",
    summary="Edit a class (admin, staff): title, venue, schedule, level, capacity; new seats "
            "go to the children waiting, first come first served",
    body=ClassUpdateRequest, example={"schedule": "Sundays 14:00-15:30", "capacity": 12},
    response=CapacityChanged, returns="The class after the change, with the enrolments "
                                      "promoted.",
    roles=CLASS_ROLES, errors={"404": NO_CLASS, "409": CAPACITY_CONFLICT})

CANCEL_SESSION = Operation(
    id="cancelSession", method="POST",
    path="/api/staff/classes/<class_id>/sessions/<session_id>/cancel",
    rpc="programs.cancel_session", tag="staff",
    summary="Call a session off before it begins (admin, staff); each family with a seat is "
            "told by e-mail in their language (`class_session_cancelled`). Again: the same "
            "answer, nobody told twice",
    body=SessionCancelRequest, example={"reason": "venue_unavailable",
                                        "note": "the hall was booked twice"},
    response=SessionCancelled, returns="The session, cancelled.", roles=CLASS_ROLES,
    errors={"404": NO_CLASS, "409": conflict("the session has already begun")})

WITHDRAW_ENROLLMENT = Operation(
    id="withdrawEnrollment", method="POST",
    path="/api/staff/classes/<class_id>/enrollments/<enrollment_id>/withdraw",
    rpc="programs.withdraw_enrollment", tag="staff",
    summary="Withdraw a child; the first child waiting gets the seat",
    body=WithdrawRequest, example={"reason": "family moved to Osaka"},
    response=Withdrawn, returns="Withdrawn.", roles=CLASS_ROLES, errors={"404": NO_CLASS})

RECORD_ATTENDANCE = Operation(
    id="recordAttendance", method="POST",
    path="/api/staff/classes/<class_id>/sessions/<session_id>/attendance",
    rpc="programs.record_attendance", tag="staff",
    summary="Record who came to a session (again to correct it); from the session's day on, "
            "in Tokyo (400 naming `session` before)",
    body=AttendanceRequest, example={"present": ["5e7c2b8a-1d4f-4e3a-9b6c-7a8d9e0f1a2b"]},
    response=AttendanceRecorded, returns="The session, held.", roles=CLASS_ROLES,
    errors={"404": NO_CLASS})


# -- consultations: what residents ask ---------------------------------------------------------

class ConsultationRequest(Strict):
    """A resident asks the Daily Life Consultation Service for help."""

    topic = fields.String(required=True, validate=validate.OneOf(TOPICS))
    language = fields.String(required=True, validate=LANGUAGE_TAG, metadata={
        "description": "The language the consultation is held in.", "example": "ne"})
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    summary = text(4000, required=True)
    name = text(required=True, metadata={"example": "Ram Thapa"})
    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = Locale(required=True, metadata={"description": LOCALE_DESCRIPTION})

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["language"] = primary_language(data["language"])
        _one_spaced(data, "name")
        return data


class ConsultationCreated(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"example": "intake"})


OPEN_CONSULTATION = Operation(
    id="openConsultation", method="POST", path="/api/consultations",
    rpc="programs.open_consultation", tag="programs",
    summary="Ask the Daily Life Consultation Service for help",
    body=ConsultationRequest, example={
        "topic": "residence_visa", "language": "ne", "urgency": "high",
        "summary": "My visa expires next month and my employer changed.",
        "name": "Ram Thapa", "email": "ram@example.org", "locale": "ne"},
    status=201, response=ConsultationCreated, returns="Received; an expert will be assigned.",
    response_example={"id": "3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f", "status": "intake"})


# -- consultations: staff ----------------------------------------------------------------------

class ExpertRequest(Strict):
    name = text(required=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = Locale(required=True, metadata={"description": LOCALE_DESCRIPTION})
    profession = fields.String(required=True, validate=validate.OneOf(PROFESSIONS))
    specialties = fields.List(fields.String(validate=validate.OneOf(TOPICS)), required=True,
                              validate=validate.Length(min=1))
    languages = _languages(20)

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["specialties"] = sorted(set(data["specialties"]))
        data["languages"] = sorted({primary_language(tag) for tag in data["languages"]})
        return data


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
    expert_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "Absent: the expert in the topic who speaks the language and has the "
                       "fewest open cases."})


class StatusRequest(Strict):
    status = fields.String(required=True, validate=validate.OneOf(STATUS_CHANGES))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class FollowUpRequest(Strict):
    due_on = Day(required=True)
    what = text(1000, required=True)


class FollowUp(Schema):
    id = fields.String(required=True)
    consultation_id = fields.String(required=True)
    due_on = fields.String(required=True, metadata={"format": "date"})
    what = fields.String(required=True)
    done = fields.Boolean(required=True)


class FollowUpList(Schema):
    follow_ups = fields.List(fields.Nested(FollowUp), required=True)


class FollowUpQuery(Query):
    until = Day(metadata={"description": "The last day due (default today)."})


class ConsultationQuery(Query):
    """Staff search filters, every one given must match. A misspelt filter is an error:
    ignoring it would list every case."""

    status = fields.String(validate=validate.OneOf(CONSULTATION_STATUSES))
    topic = fields.String(validate=validate.OneOf(TOPICS))
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    expert_id = fields.UUID()
    language = fields.String(validate=LANGUAGE_TAG, metadata={
        "example": "ne",
        "description": "The language the consultation is held in; a regional tag counts as its "
                       "language."})
    opened_from = Day(metadata={
        "description": "First day (Tokyo) the case was opened on, inclusive."})
    opened_to = Day(metadata={"description": "Last day (Tokyo), inclusive."})
    limit = fields.Integer(load_default=paging.DEFAULT_LIMIT,
                           validate=validate.Range(min=1, max=100))
    after = Cursor()

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        ordered(data, "opened_from", "opened_to", ("opened_from", "opened_to"))

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "language" in data:
            data["language"] = primary_language(data["language"])  # stored as the primary subtag
        return data


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
    next = next_cursor("Pass as `after` (with the same filters) for the next page; null on "
                       "the last page.")


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
    body = text(20000, required=True)


class CaseNote(Schema):
    id = fields.String(required=True)
    consultation_id = fields.String(required=True)
    author = fields.String(required=True)
    body = fields.String(required=True)
    created_at = fields.String(required=True)


class CaseNoteList(Schema):
    notes = fields.List(fields.Nested(CaseNote), required=True)


NO_CASE = not_found("consultation")

ADD_EXPERT = Operation(
    id="addExpert", method="POST", path="/api/staff/experts", rpc="programs.add_expert",
    tag="staff", summary="Add an expert with specialties and languages (admin)",
    body=ExpertRequest, example={
        "name": "Kobayashi Aya", "email": "aya@example.org", "locale": "ja",
        "profession": "administrative_scrivener", "specialties": ["residence_visa"],
        "languages": ["ja", "en"]},
    status=201, response=Expert, returns="The expert.", roles=ADMIN)

LIST_EXPERTS = Operation(
    id="listExperts", method="GET", path="/api/staff/experts", rpc="programs.list_experts",
    tag="staff", summary="Experts with their open cases", response=ExpertList,
    returns="Experts.", roles=CASE_ROLES)

SEARCH_CONSULTATIONS = Operation(
    id="searchConsultations", method="GET", path="/api/staff/consultations",
    rpc="programs.search_consultations", tag="staff",
    summary="Search consultations, newest first (admin, staff, consultant)",
    query=ConsultationQuery, response=ConsultationPage,
    returns="One page of cases (never their notes) and the next page's cursor.",
    roles=CASE_ROLES)

CONSULTATION = Operation(
    id="consultation", method="GET", path="/api/staff/consultations/<consultation_id>",
    rpc="programs.consultation", tag="staff",
    summary="A consultation with its history and follow-ups (no case notes)",
    response=Consultation, returns="The consultation.", roles=CASE_ROLES,
    errors={"404": NO_CASE})

ASSIGN_CONSULTATION = Operation(
    id="assignConsultation", method="POST",
    path="/api/staff/consultations/<consultation_id>/assign",
    rpc="programs.assign_consultation", tag="staff",
    summary="Assign an expert by specialty and language (or the one given)",
    body=AssignRequest, example={}, response=Consultation, returns="The consultation.",
    roles=CASE_ROLES, errors={"404": NO_CASE, "409": "Conflict"})

CHANGE_CONSULTATION_STATUS = Operation(
    id="changeConsultationStatus", method="POST",
    path="/api/staff/consultations/<consultation_id>/status",
    rpc="programs.change_consultation_status", tag="staff",
    summary="Move a consultation on: in_progress, then resolved, referred or closed",
    body=StatusRequest, example={"status": "resolved", "note": "visa renewed"},
    response=Consultation, returns="The consultation.", roles=CASE_ROLES,
    errors={"404": NO_CASE, "409": "Conflict"})

ADD_FOLLOW_UP = Operation(
    id="addFollowUp", method="POST", path="/api/staff/consultations/<consultation_id>/follow-ups",
    rpc="programs.add_follow_up", tag="staff", summary="Add a follow-up with a due date",
    body=FollowUpRequest, example={"due_on": "2026-05-20",
                                   "what": "Check the immigration bureau's answer"},
    status=201, response=FollowUp, returns="The follow-up.", roles=CASE_ROLES,
    errors={"404": NO_CASE, "409": "Conflict"})

COMPLETE_FOLLOW_UP = Operation(
    id="completeFollowUp", method="POST",
    path="/api/staff/consultations/<consultation_id>/follow-ups/<follow_up_id>/done",
    rpc="programs.complete_follow_up", tag="staff", summary="Mark a follow-up done",
    response=FollowUp, returns="The follow-up.", roles=CASE_ROLES, errors={"404": NO_CASE})

DUE_FOLLOW_UPS = Operation(
    id="dueFollowUps", method="GET", path="/api/staff/follow-ups",
    rpc="programs.due_follow_ups", tag="staff",
    summary="Open follow-ups due by a date (default today)", query=FollowUpQuery,
    response=FollowUpList, returns="Follow-ups, soonest first.", roles=CASE_ROLES)

CASE_NOTES = Operation(
    id="caseNotes", method="GET", path="/api/staff/consultations/<consultation_id>/notes",
    rpc="programs.case_notes", tag="staff",
    summary="Confidential case notes (consultant, admin)", response=CaseNoteList,
    returns="Notes, oldest first.", roles=NOTE_ROLES, errors={"404": NO_CASE})

ADD_CASE_NOTE = Operation(
    id="addCaseNote", method="POST", path="/api/staff/consultations/<consultation_id>/notes",
    rpc="programs.add_case_note", tag="staff",
    summary="Add a confidential case note (consultant, admin)",
    body=CaseNoteRequest, example={"body": "Called the employer; documents on the way."},
    status=201, response=CaseNote, returns="The note.", roles=NOTE_ROLES,
    errors={"404": NO_CASE})


# -- impact --------------------------------------------------------------------------------------

class ImpactQuery(Query):
    from_ = fields.String(data_key="from", validate=iso_month,
                          metadata={"pattern": MONTH_PATTERN, "example": "2026-01"})
    to = fields.String(validate=iso_month,
                       metadata={"pattern": MONTH_PATTERN, "example": "2026-12"})

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


IMPACT = Operation(
    id="impact", method="GET", path="/api/impact", rpc="programs.impact_figures",
    tag="programs", summary="Public impact figures per month (Tokyo time) and over the range",
    query=ImpactQuery, response=Impact, returns="The figures.", cache="public")

