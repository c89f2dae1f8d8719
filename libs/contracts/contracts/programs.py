"""Events published by the programs service.

Class events carry the guardian (name, e-mail, locale) and consultation events the resident and
the expert, so notifications can write to each in their language without asking programs.
Children are named by first name only: nothing else about a child leaves the service.
"""

from marshmallow import Schema, fields, validate

TOPICS = ("residence_visa", "work", "housing", "child_rearing_education", "medical",
          "tax_pension", "other")
URGENCIES = ("low", "normal", "high", "urgent")
CONSULTATION_OUTCOMES = ("resolved", "referred", "closed")
# Why a class session was called off: a code, so each family reads it in their own language.
SESSION_CANCEL_REASONS = ("weather", "venue_unavailable", "tutor_unavailable", "holiday",
                          "other")
# A consultation's states and where each may go next: intake → assigned → in_progress →
# resolved | referred | closed, closed early, reassigned while open.
CONSULTATION_TRANSITIONS: dict[str, frozenset[str]] = {
    "intake": frozenset({"assigned", "closed"}),
    "assigned": frozenset({"assigned", "in_progress", "closed"}),
    "in_progress": frozenset({"assigned", "resolved", "referred", "closed"}),
    "resolved": frozenset(),
    "referred": frozenset(),
    "closed": frozenset(),
}
CONSULTATION_STATUSES = tuple(CONSULTATION_TRANSITIONS)
# The states staff move a case to by hand; `assigned` comes with choosing an expert.
STATUS_CHANGES = ("in_progress", "resolved", "referred", "closed")
PROFESSIONS = ("lawyer", "social_worker", "administrative_scrivener", "interpreter", "other")


def _text(max_length: int = 200) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=max_length))


def _locale() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=2, max=35))


class Guardian(Schema):
    name = _text()
    email = fields.Email(required=True)
    locale = _locale()


class ClassRef(Schema):
    class_id = fields.UUID(required=True)
    title = _text()
    venue = _text()
    schedule = _text(500)


class EnrollmentEvent(Schema):
    enrollment_id = fields.UUID(required=True)
    class_ = fields.Nested(ClassRef, required=True, data_key="class")
    child_first_name = _text()
    guardian = fields.Nested(Guardian, required=True)
    occurred_at = fields.AwareDateTime(required=True)


class EnrollmentWithLink(EnrollmentEvent):
    # The guardian's signed self-service link to withdraw the child, for the e-mail. Optional:
    # absent when programs has no link secret configured (and in events sent before it).
    withdraw_url = fields.Url(required=False, require_tld=False)


class EnrollmentConfirmed(EnrollmentWithLink):
    pass


class EnrollmentWaitlisted(EnrollmentWithLink):
    position = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class EnrollmentPromoted(EnrollmentWithLink):
    pass


class EnrollmentWithdrawn(EnrollmentEvent):
    previous_status = fields.String(required=True,
                                    validate=validate.OneOf(["confirmed", "waitlisted"]))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    # Who took the child off: the guardian (their signed link) or staff. Added to v1 later:
    # optional, absent from older events.
    withdrawn_by = fields.String(validate=validate.OneOf(["guardian", "staff"]))


class SessionHeld(Schema):
    session_id = fields.UUID(required=True)
    class_ = fields.Nested(ClassRef, required=True, data_key="class")
    session_number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    held_at = fields.AwareDateTime(required=True)
    attended = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    enrolled = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    # Attendance may be corrected; the highest revision of a session is the one that counts.
    revision = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class Family(Schema):
    guardian = fields.Nested(Guardian, required=True)
    children = fields.List(_text(), required=True, validate=validate.Length(min=1),
                           metadata={"description": "First names of the children with a seat."})


class SessionCancelled(Schema):
    """A session called off before it began; `families` are the guardians of the children
    with a seat at that moment, one entry per guardian."""

    session_id = fields.UUID(required=True)
    class_ = fields.Nested(ClassRef, required=True, data_key="class")
    session_number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    starts_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(SESSION_CANCEL_REASONS))
    families = fields.List(fields.Nested(Family), required=True)
    cancelled_at = fields.AwareDateTime(required=True)


class Resident(Schema):
    name = _text()
    email = fields.Email(required=True)
    locale = _locale()


class Expert(Schema):
    expert_id = fields.UUID(required=True)
    name = _text()
    email = fields.Email(required=True)
    locale = _locale()


class ConsultationEvent(Schema):
    consultation_id = fields.UUID(required=True)
    topic = fields.String(required=True, validate=validate.OneOf(TOPICS))
    language = fields.String(required=True, validate=validate.Length(min=2, max=35))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    resident = fields.Nested(Resident, required=True)
    occurred_at = fields.AwareDateTime(required=True)


class ConsultationOpened(ConsultationEvent):
    pass


class ConsultationAssigned(ConsultationEvent):
    expert = fields.Nested(Expert, required=True)


class ConsultationStarted(ConsultationEvent):
    expert = fields.Nested(Expert, required=True)


class ConsultationResolved(ConsultationEvent):
    """The case ended: resolved, referred elsewhere, or closed without a resolution."""

    outcome = fields.String(required=True, validate=validate.OneOf(CONSULTATION_OUTCOMES))
    opened_at = fields.AwareDateTime(required=True)


class ImpactFigures(Schema):
    """What the impact ledger counts over a period (a month, or a year so far)."""

    residents_supported = fields.Integer(required=True, strict=True)
    pairings_completed = fields.Integer(required=True, strict=True)
    spot_requests_done = fields.Integer(required=True, strict=True)
    children_enrolled = fields.Integer(required=True, strict=True)
    sessions_held = fields.Integer(required=True, strict=True)
    attendances = fields.Integer(required=True, strict=True)
    consultations_resolved = fields.Integer(required=True, strict=True)
    yen_raised = fields.Integer(required=True, strict=True)
    yen_raised_by_source = fields.Dict(keys=fields.String(), values=fields.Integer(strict=True),
                                       required=True)


class ImpactMonth(ImpactFigures):
    month = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"))
    # January to this month (Tokyo's calendar year); residents counted once over the period.
    year_to_date = fields.Nested(ImpactFigures, required=False)


class ImpactUpdated(ImpactMonth):
    """One month's public figures, sent when they changed (at most once per interval).

    `previous_month` is the month before as the ledger has it at the same moment: news of a
    month means the one before is over, and a consumer mailing that month needs its figures
    at least this fresh, whatever order it receives the events in.
    """

    previous_month = fields.Nested(ImpactMonth, required=False)
    updated_at = fields.AwareDateTime(required=True)


SCHEMAS = {
    ("class_enrollment_confirmed", 1): EnrollmentConfirmed,
    ("class_enrollment_waitlisted", 1): EnrollmentWaitlisted,
    ("class_enrollment_promoted", 1): EnrollmentPromoted,
    ("class_enrollment_withdrawn", 1): EnrollmentWithdrawn,
    ("class_session_held", 1): SessionHeld,
    ("class_session_cancelled", 1): SessionCancelled,
    ("consultation_opened", 1): ConsultationOpened,
    ("consultation_assigned", 1): ConsultationAssigned,
    ("consultation_started", 1): ConsultationStarted,
    ("consultation_resolved", 1): ConsultationResolved,
    ("impact_updated", 1): ImpactUpdated,
}
