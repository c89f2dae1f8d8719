"""Request and response bodies of the matching routes.

As elsewhere in the gateway these check the shape (types, required fields, ranges); the
vocabularies (languages, areas, interests, slots) are the matching service's rule, answered as
400 with the field named in the same format.
"""

from __future__ import annotations

from typing import Any

from api.fields import CURSOR_PATTERN, LOCALE_PATTERN, NOT_BLANK, UUID_PATTERN, iso_date, ordered
from contracts.matching import (
    REJECT_REASONS,
    ROLES,
    SPOT_KINDS,
    UNASSIGN_REASONS,
    WITHDRAW_REASONS,
)
from marshmallow import RAISE, Schema, fields, validate, validates_schema

from gateway.routes.donations_schemas import Localised

LOCALE = validate.Regexp(LOCALE_PATTERN, error="Must be ja, en or ne, optionally with a region.")
AGE = fields.Integer(strict=True, validate=validate.Range(0, 17, error="Ages are 0 to 17."))
# The service's cursors are unpadded base64url; only it can tell a real one.
PARTICIPANT_STATUSES = ("applied", "approved", "rejected", "withdrawn")
PAIRING_STATES = ("proposed", "superseded", "offered", "declined", "expired", "cancelled",
                  "active", "inactive", "completed", "closed_early")
SPOT_STATUSES = ("open", "assigned", "completed", "cancelled")
AREA_KINDS = ("ward", "city", "town", "village", "nearby")
MAX_PAGE = 200
DATE_TIME = {"format": "date-time"}


class Strict(Schema):
    class Meta:
        unknown = RAISE  # a misspelt field is an error, not silently dropped


class LanguageSkill(Strict):
    code = fields.String(required=True, validate=validate.Length(min=2, max=3),
                         metadata={"description": "ISO 639-1 code.", "example": "ne"})
    level = fields.String(required=True, validate=validate.OneOf(
        ["basic", "conversational", "fluent", "native"]), metadata={"example": "native"})


class Coordinates(Strict):
    lat = fields.Float(required=True, validate=validate.Range(20, 46))
    lon = fields.Float(required=True, validate=validate.Range(122, 154))


class Preferences(Strict):
    partner_gender = fields.String(allow_none=True, validate=validate.OneOf(
        ["female", "male", "nonbinary"]))
    max_distance_km = fields.Float(allow_none=True, validate=validate.Range(1, 200))
    max_children = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 10))


class Application(Strict):
    """A resident's (family's), partner's or volunteer's application."""

    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK],
                         metadata={"example": "Maya Gurung"})
    email = fields.Email(required=True, validate=validate.Length(max=254),
                         metadata={"example": "maya@example.org"})
    locale = fields.String(required=True, validate=LOCALE, metadata={"example": "ne-NP"})
    gender = fields.String(allow_none=True, validate=validate.OneOf(
        ["female", "male", "nonbinary"]))
    area = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "Municipality code from the service's table (Tokyo's 62 municipalities "
                       "and neighbouring cities, e.g. 'shinjuku'); another place needs "
                       "coordinates.", "example": "shinjuku"})
    coordinates = fields.Nested(Coordinates)
    languages = fields.List(fields.Nested(LanguageSkill), required=True,
                            validate=validate.Length(min=1, max=10))
    household_size = fields.Integer(strict=True, validate=validate.Range(1, 20),
                                    metadata={"example": 3})
    children_ages = fields.List(AGE, validate=validate.Length(max=10),
                                metadata={"example": [2, 5]})
    experience_ages = fields.List(AGE, validate=validate.Length(max=10), metadata={
        "description": "Partners: ages of children they have raised or cared for."})
    interests = fields.List(fields.String(), validate=validate.Length(max=20),
                            metadata={"example": ["cooking", "parks"]})
    slots = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=21),
                        metadata={"description": "Weekly availability: day-part, part one of "
                                                 "morning, afternoon, evening.",
                                  "example": ["sat-morning", "sun-afternoon"]})
    preferences = fields.Nested(Preferences)
    capacity = fields.Integer(strict=True, validate=validate.Range(1, 3), metadata={
        "description": "Partners: how many families at once."})


class Area(Schema):
    code = fields.String(required=True, metadata={"example": "shinjuku"})
    kind = fields.String(required=True, validate=validate.OneOf(AREA_KINDS), metadata={
        "description": "ward (Tokyo's 23), city, town or village (the rest of Tokyo), or "
                       "nearby (a city in a neighbouring prefecture).", "example": "ward"})
    name = fields.Nested(Localised, required=True)


class AreaList(Schema):
    areas = fields.List(fields.Nested(Area), required=True)


class ApplicationReceived(Schema):
    id = fields.String(required=True)
    role = fields.String(required=True, metadata={"example": "resident"})
    status = fields.String(required=True, metadata={"example": "applied"})


class Approval(Strict):
    capacity = fields.Integer(strict=True, validate=validate.Range(0, 3))


class ParticipantApproved(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"example": "approved"})
    cleared = fields.Boolean(required=True)


class PairingResponse(Strict):
    token = fields.String(required=True, validate=validate.Length(min=10, max=2000),
                          metadata={"description": "The token of the signed link."})
    answer = fields.String(required=True, validate=validate.OneOf(["accept", "decline"]))
    share_contact = fields.Boolean(metadata={
        "description": "With an acceptance: the person agrees that the other side may have "
                       "their name and e-mail address (default false: JII staff introduce "
                       "them instead)."})


class PairingState(Schema):
    id = fields.String(required=True)
    state = fields.String(required=True, metadata={"example": "active"})


class Pairing(Schema):
    id = fields.String(required=True)
    state = fields.String(required=True)
    score = fields.Float(required=True)
    resident_id = fields.String(required=True)
    partner_id = fields.String(required=True)
    breakdown = fields.Dict(keys=fields.String(), values=fields.Float())
    alternatives = fields.List(fields.Dict())
    offer_expires_at = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    ends_at = fields.String(allow_none=True)
    close_reason = fields.String(allow_none=True)


class MatchingRun(Schema):
    run_id = fields.String(required=True)
    residents = fields.Integer(required=True)
    partners = fields.Integer(required=True)
    proposals = fields.List(fields.Dict(), required=True, metadata={
        "description": "pairing_id, resident_id, partner_id, score, breakdown per term, and "
                       "the top three alternatives."})
    unmatched = fields.List(fields.String(), required=True)
    timings = fields.Dict(keys=fields.String(), values=fields.Float())


class Closing(Strict):
    reason = fields.String(required=True, validate=validate.OneOf(
        ["moved", "lack_of_contact", "needs_changed", "safeguarding", "other"]))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class Checkin(Strict):
    met_on = fields.String(allow_none=True, validate=validate.Regexp(
        r"^\d{4}-\d{2}-\d{2}$", error="Must be a date, YYYY-MM-DD."))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class CheckinLogged(Schema):
    id = fields.String(required=True)
    pairing = fields.Nested(Pairing, required=True)


class SpotRequest(Strict):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), NOT_BLANK])
    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = fields.String(required=True, validate=LOCALE)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["city_hall", "nursery_enrolment", "hospital", "school", "language_support", "other"]))
    starts_at = fields.String(required=True, metadata={
        "description": "ISO 8601 with offset.", "example": "2026-04-11T10:00:00+09:00"})
    area = fields.String(required=True, validate=validate.Length(min=1, max=100))
    languages = fields.List(fields.String(), required=True,
                            validate=validate.Length(min=1, max=5),
                            metadata={"example": ["ne", "en"]})
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class SpotRequestState(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"example": "open"})
    kind = fields.String(required=True)
    starts_at = fields.String(required=True)
    area = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    volunteer_id = fields.String(allow_none=True)
    hours = fields.Float(allow_none=True)


class SpotCandidates(Schema):
    spot_request_id = fields.String(required=True)
    candidates = fields.List(fields.Dict(), required=True, metadata={
        "description": "volunteer_id, name, score, breakdown, recent_load; best first."})


class SpotAssignment(Strict):
    # a string, not fields.UUID: the loaded value travels over RPC as JSON
    volunteer_id = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", error="Not a valid UUID."))


class SpotReassignment(Strict):
    volunteer_id = fields.String(required=True, validate=validate.Regexp(
        UUID_PATTERN, error="Not a valid UUID."), metadata={
        "description": "The volunteer who goes instead: approved, and speaking one of the "
                       "request's languages from conversational up."})
    reason = fields.String(required=True, validate=validate.OneOf(UNASSIGN_REASONS), metadata={
        "description": "Why the volunteer assigned no longer goes (told to them): "
                       + ", ".join(UNASSIGN_REASONS) + "."})
    note = fields.String(allow_none=True, validate=validate.Length(max=500), metadata={
        "description": "For the staff (never sent in an event); required with reason `other`."})
    replacing = fields.String(validate=validate.Regexp(
        UUID_PATTERN, error="Not a valid UUID."), metadata={
        "description": "The volunteer the staff member saw assigned. When given and someone "
                       "else has been assigned since (another staff member's reassignment), "
                       "the answer is 409 and nothing changes."})


class SpotCompletion(Strict):
    hours = fields.Float(required=True, validate=validate.Range(0.25, 24))


class SpotCancellation(Strict):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500), NOT_BLANK])


class MatchingReport(Schema):
    waiting_residents = fields.Integer(required=True)
    waiting_by_language = fields.Dict(keys=fields.String(), values=fields.Integer())
    waiting_by_area = fields.Dict(keys=fields.String(), values=fields.Integer())
    supply_and_demand_by_language = fields.Dict(keys=fields.String(), values=fields.Dict())
    available_partners = fields.Integer()
    pairings_by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    completion_rate = fields.Float(allow_none=True)
    average_days_to_match = fields.Float(allow_none=True)
    spot_requests_by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    spot_hours = fields.Float()


# -- staff lists --------------------------------------------------------------------------
# Query strings: loaded values stay JSON types (they travel on over RPC), and a misspelt
# filter is an error, since ignoring it would list everything.




class PageQuery(Strict):
    limit = fields.Integer(validate=validate.Range(1, MAX_PAGE))
    after = fields.String(validate=[validate.Length(min=1, max=200), validate.Regexp(
        CURSOR_PATTERN, error="Not a valid cursor.")])


class ParticipantQuery(PageQuery):
    role = fields.String(validate=validate.OneOf(ROLES))
    status = fields.String(validate=validate.OneOf(PARTICIPANT_STATUSES))
    area = fields.String(validate=[validate.Length(min=1, max=100), validate.Regexp(
        r"^[^\x00-\x1f\x7f]+\Z", error="Must not hold control characters.")])
    language = fields.String(validate=validate.Regexp(
        r"^[a-z]{2,3}$", error="Must be an ISO 639-1 code such as 'ne'."))


class PairingQuery(PageQuery):
    state = fields.String(validate=validate.OneOf(PAIRING_STATES))
    participant_id = fields.String(validate=validate.Regexp(UUID_PATTERN,
                                                            error="Not a valid UUID."))


class SpotRequestQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(SPOT_STATUSES))
    kind = fields.String(validate=validate.OneOf(SPOT_KINDS))
    from_ = fields.String(data_key="from", validate=iso_date)
    to = fields.String(validate=iso_date)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        ordered(data, "from_", "to", ("from", "to"))


class PersonRef(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)


class ParticipantSummary(Schema):
    """A participant as screening sees them. Personal data: for staff eyes only."""

    id = fields.String(required=True)
    role = fields.String(required=True, metadata={"example": "partner"})
    status = fields.String(required=True, metadata={"example": "applied"})
    name = fields.String(required=True, metadata={"example": "Sato Yuki"})
    email = fields.String(required=True, metadata={"example": "yuki@example.org"})
    locale = fields.String(required=True, metadata={"example": "ja"})
    area = fields.String(required=True, metadata={"example": "shinjuku"})
    languages = fields.List(fields.Nested(LanguageSkill), required=True,
                            metadata={"description": "Strongest first."})
    cleared = fields.Boolean(required=True, metadata={
        "description": "Partners and volunteers: screening cleared them for matching."})
    capacity = fields.Integer(required=True, metadata={
        "description": "Partners: how many families at once."})
    applied_at = fields.String(required=True, metadata=DATE_TIME)
    approved_at = fields.String(allow_none=True, metadata=DATE_TIME)
    rejected_at = fields.String(allow_none=True, metadata=DATE_TIME)
    withdrawn_at = fields.String(allow_none=True, metadata=DATE_TIME)
    status_reason = fields.String(allow_none=True, metadata={
        "description": "Why they were rejected or withdrew."})
    status_note = fields.String(allow_none=True)


class ParticipantPage(Schema):
    participants = fields.List(fields.Nested(ParticipantSummary), required=True)
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass as `after` (with the same filters) for the next page; null on the "
                       "last page."})


class PairingSummary(Schema):
    id = fields.String(required=True)
    state = fields.String(required=True, metadata={"example": "active"})
    score = fields.Float(required=True)
    run_id = fields.String(allow_none=True)
    resident = fields.Nested(PersonRef, required=True)
    partner = fields.Nested(PersonRef, required=True)
    proposed_at = fields.String(required=True, metadata=DATE_TIME)
    offered_at = fields.String(allow_none=True, metadata=DATE_TIME)
    offer_expires_at = fields.String(allow_none=True, metadata=DATE_TIME)
    started_at = fields.String(allow_none=True, metadata=DATE_TIME)
    ends_at = fields.String(allow_none=True, metadata=DATE_TIME)
    finished_at = fields.String(allow_none=True, metadata=DATE_TIME)
    last_checkin_at = fields.String(allow_none=True, metadata={
        **DATE_TIME, "description": "When the last monthly check-in was logged."})
    last_contact_at = fields.String(allow_none=True, metadata={
        **DATE_TIME, "description": "The start or the last check-in: 45 days after it an "
                                    "active pairing goes inactive."})
    close_reason = fields.String(allow_none=True)


class PairingPage(Schema):
    pairings = fields.List(fields.Nested(PairingSummary), required=True)
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass as `after` for the next page; null on the last page."})


class SpotRequestSummary(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"example": "assigned"})
    kind = fields.String(required=True, metadata={"example": "city_hall"})
    starts_at = fields.String(required=True, metadata=DATE_TIME)
    area = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    requester_name = fields.String(required=True, metadata={"example": "Maya Gurung"})
    volunteer = fields.Nested(PersonRef, allow_none=True)
    created_at = fields.String(required=True, metadata=DATE_TIME)
    assigned_at = fields.String(allow_none=True, metadata=DATE_TIME)
    finished_at = fields.String(allow_none=True, metadata=DATE_TIME)
    hours = fields.Float(allow_none=True)


class SpotRequestPage(Schema):
    spot_requests = fields.List(fields.Nested(SpotRequestSummary), required=True)
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass as `after` for the next page; null on the last page."})


class MatchingRunSummary(Schema):
    run_id = fields.String(required=True)
    requested_by = fields.String(allow_none=True)
    residents = fields.Integer(required=True)
    partners = fields.Integer(required=True)
    proposals = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata=DATE_TIME)


class MatchingRunPage(Schema):
    runs = fields.List(fields.Nested(MatchingRunSummary), required=True)
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass as `after` for the next page; null on the last page."})


SCORE_TERMS = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={
    "description": "Each term 0..1 (language, distance, children, interests, availability, "
                   "waiting) and the weighted total."})


class RunAlternative(Schema):
    partner = fields.Nested(PersonRef, required=True)
    score = fields.Float(required=True)
    breakdown = SCORE_TERMS


class RunProposal(Schema):
    pairing_id = fields.String(required=True)
    state = fields.String(required=True, metadata={
        "description": "The pairing's state now: proposed until staff approve it, superseded "
                       "once a later run replaced it.", "example": "proposed"})
    resident = fields.Nested(PersonRef, required=True)
    partner = fields.Nested(PersonRef, required=True)
    score = fields.Float(required=True)
    breakdown = SCORE_TERMS
    alternatives = fields.List(fields.Nested(RunAlternative), required=True, metadata={
        "description": "The resident's next best partners, best first."})


class MatchingRunView(Schema):
    run_id = fields.String(required=True)
    requested_by = fields.String(allow_none=True)
    created_at = fields.String(required=True, metadata=DATE_TIME)
    residents = fields.Integer(required=True)
    partners = fields.Integer(required=True)
    settings = fields.Dict(metadata={"description": "Weights and distance limit of the run."})
    timings = fields.Dict(keys=fields.String(), values=fields.Float())
    proposals = fields.List(fields.Nested(RunProposal), required=True)
    unmatched = fields.List(fields.Nested(PersonRef), required=True, metadata={
        "description": "Residents the run could not place (runs before this view existed "
                       "did not keep them: empty)."})


# -- turning people away ------------------------------------------------------------------

NOTE = fields.String(allow_none=True, validate=validate.Length(max=500), metadata={
    "description": "For the staff (never sent in an event); required with reason `other`."})


class Rejection(Strict):
    reason = fields.String(required=True, validate=validate.OneOf(REJECT_REASONS), metadata={
        "description": "Screening's answer: " + ", ".join(REJECT_REASONS) + "."})
    note = NOTE


class Withdrawal(Strict):
    reason = fields.String(required=True, validate=validate.OneOf(WITHDRAW_REASONS), metadata={
        "description": "Why they leave: " + ", ".join(WITHDRAW_REASONS) + "."})
    note = NOTE


class ParticipantStatus(Schema):
    id = fields.String(required=True)
    role = fields.String(required=True)
    status = fields.String(required=True, metadata={"example": "withdrawn"})
    status_reason = fields.String(allow_none=True, metadata={"example": "moved"})
    status_note = fields.String(allow_none=True)
    rejected_at = fields.String(allow_none=True, metadata=DATE_TIME)
    withdrawn_at = fields.String(allow_none=True, metadata=DATE_TIME)
    cancelled_pairings = fields.List(fields.String(), required=True, metadata={
        "description": "Proposals and open offers this call cancelled (none on a repeat)."})


# -- one participant in full --------------------------------------------------------------


class ParticipantPairing(Schema):
    id = fields.String(required=True)
    state = fields.String(required=True, metadata={"example": "active"})
    other = fields.Nested(PersonRef, required=True, metadata={
        "description": "The other side: the partner of a resident, the resident of a partner."})
    proposed_at = fields.String(required=True, metadata=DATE_TIME)
    offered_at = fields.String(allow_none=True, metadata=DATE_TIME)
    started_at = fields.String(allow_none=True, metadata=DATE_TIME)
    ends_at = fields.String(allow_none=True, metadata=DATE_TIME)
    finished_at = fields.String(allow_none=True, metadata=DATE_TIME)
    close_reason = fields.String(allow_none=True)


class ParticipantSpotRequest(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"example": "city_hall"})
    starts_at = fields.String(required=True, metadata=DATE_TIME)
    status = fields.String(required=True, metadata={"example": "assigned"})
    hours = fields.Float(allow_none=True)


class ParticipantProfile(Schema):
    """One participant as screening and matching see them. Personal data (children's ages
    included): for staff eyes only, never logged."""

    id = fields.String(required=True)
    role = fields.String(required=True, metadata={"example": "volunteer"})
    status = fields.String(required=True, metadata={"example": "approved"})
    status_reason = fields.String(allow_none=True, metadata={
        "description": "Why they were rejected or withdrew."})
    status_note = fields.String(allow_none=True)
    name = fields.String(required=True, metadata={"example": "Sato Yuki"})
    email = fields.String(required=True, metadata={"example": "yuki@example.org"})
    locale = fields.String(required=True, metadata={"example": "ja"})
    gender = fields.String(allow_none=True)
    area = fields.String(required=True, metadata={"example": "shinjuku"})
    coordinates = fields.Nested(Coordinates, required=True)
    languages = fields.List(fields.Nested(LanguageSkill), required=True,
                            metadata={"description": "Strongest first."})
    household_size = fields.Integer(required=True)
    children_ages = fields.List(fields.Integer(), required=True)
    experience_ages = fields.List(fields.Integer(), required=True, metadata={
        "description": "Partners: ages of children they have raised or cared for."})
    interests = fields.List(fields.String(), required=True)
    slots = fields.List(fields.String(), required=True, metadata={
        "description": "Weekly availability, e.g. sat-morning."})
    preferences = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "Stated requirements: partner_gender, max_distance_km, max_children."})
    cleared = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "Partners and volunteers: screening cleared them; null for a resident."})
    capacity = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Partners: how many families at once; null for a resident."})
    waiting_runs = fields.Integer(required=True, metadata={
        "description": "Residents: runs they were ready in and left unmatched."})
    applied_at = fields.String(required=True, metadata=DATE_TIME)
    approved_at = fields.String(allow_none=True, metadata=DATE_TIME)
    rejected_at = fields.String(allow_none=True, metadata=DATE_TIME)
    withdrawn_at = fields.String(allow_none=True, metadata=DATE_TIME)
    pairings = fields.List(fields.Nested(ParticipantPairing), required=True, metadata={
        "description": "Newest first, at most 100 (more by GET /api/staff/pairings"
                       "?participant_id=); proposals a later run superseded left out."})
    spot_requests = fields.List(fields.Nested(ParticipantSpotRequest), required=True,
                                allow_none=True, metadata={
        "description": "Volunteers: the requests assigned to them, latest first, at most "
                       "100; null for anyone else."})
    hours_last_30_days = fields.Float(required=True, allow_none=True, metadata={
        "description": "Volunteers: hours of the requests they completed in the last 30 days; "
                       "null for anyone else."})
