"""The matching service's operations: applications, the area list, Family Friend offer
answers and Spot requests (public); screening, batch runs, pairings, Spot assignment and the
report (staff).

The schemas check everything that needs no data of the service's: the vocabularies
(languages, levels, interests, slots, reasons) are `contracts.matching`'s. Whether an area is
in the service's table, whether a moment is still ahead and what a pairing's state allows are
the service's rules, answered as 400 or 409 with the field named in the same format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from contracts.locales import Locale
from contracts.matching import (
    AREA_KINDS,
    CLOSE_REASONS,
    GENDERS,
    INTERESTS,
    LANGUAGES,
    LEVELS,
    PAIRING_STATES,
    PARTICIPANT_STATUSES,
    REJECT_REASONS,
    ROLES,
    SLOTS,
    SPOT_KINDS,
    SPOT_STATUSES,
    UNASSIGN_REASONS,
    WITHDRAW_REASONS,
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

from api.doc import not_found
from api.fields import (
    Localised,
    PageQuery,
    Strict,
    in_calendar,
    next_cursor,
    ordered,
    text,
    uuid_text,
)
from api.operation import Operation

STAFF = ("admin", "staff")
# The page behind the links a Family Friend offer mails to each side (a page of the public
# site, whose script answers through RESPOND_TO_PAIRING): /pairings/respond?token=&answer=
PAIRING_RESPONSE_PAGE = "/pairings/respond"
DATE_TIME = {"format": "date-time"}
UNKNOWN_LANGUAGE = "Unknown language; use an ISO 639-1 code such as 'ne'."
AGE = fields.Integer(strict=True, validate=validate.Range(0, 17, error="Ages are 0 to 17."))
NOTE = fields.String(allow_none=True, validate=validate.Length(max=2000))


def known(vocabulary: Iterable[str], what: str, example: str) -> Callable[[list], None]:
    """A list's validator: every value from `vocabulary`, none twice (one error for them all,
    naming the unknown ones)."""
    allowed = frozenset(vocabulary)

    def check(values: list[str]) -> None:
        bad = sorted({value for value in values if value not in allowed})
        if bad:
            raise ValidationError(f"unknown {what}: {', '.join(bad)} (e.g. {example!r})")
        if len(set(values)) != len(values):
            raise ValidationError(f"a {what} is listed twice")

    return check


def no_control_characters(value: str) -> None:
    """A validator (not a pattern: OpenAPI's regular expressions have no `\\Z`)."""
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise ValidationError("Must not hold control characters.")


# -- applications ------------------------------------------------------------------------------

class LanguageSkill(Strict):
    code = fields.String(required=True, validate=validate.OneOf(LANGUAGES, error=UNKNOWN_LANGUAGE),
                         metadata={"description": "ISO 639-1 code.", "example": "ne"})
    level = fields.String(required=True, validate=validate.OneOf(LEVELS),
                          metadata={"example": "native"})


class Coordinates(Strict):
    lat = fields.Float(required=True, validate=validate.Range(20, 46))
    lon = fields.Float(required=True, validate=validate.Range(122, 154))


class Preferences(Strict):
    partner_gender = fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    max_distance_km = fields.Float(allow_none=True, validate=validate.Range(1, 200))
    max_children = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 10))


class Application(Strict):
    """A resident's (family's), partner's or volunteer's application; the role is the
    route's."""

    name = text(200, required=True, metadata={"example": "Maya Gurung"})
    email = fields.Email(required=True, validate=validate.Length(max=254),
                         metadata={"example": "maya@example.org"})
    locale = Locale(required=True, metadata={
        "description": "A language tag whose language is ja, en or ne (the region is "
                       "dropped).", "example": "ne-NP"})
    gender = fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    area = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "Municipality code from the service's table (Tokyo's 62 municipalities "
                       "and neighbouring cities, e.g. 'shinjuku'); another place needs "
                       "coordinates.", "example": "shinjuku"})
    coordinates = fields.Nested(Coordinates)
    languages = fields.List(fields.Nested(LanguageSkill), required=True,
                            validate=validate.Length(min=1, max=10))
    household_size = fields.Integer(strict=True, load_default=1, validate=validate.Range(1, 20),
                                    metadata={"example": 3})
    children_ages = fields.List(AGE, load_default=list, validate=validate.Length(max=10),
                                metadata={"example": [2, 5]})
    experience_ages = fields.List(AGE, load_default=list, validate=validate.Length(max=10),
                                  metadata={"description": "Partners: ages of children they "
                                                           "have raised or cared for."})
    interests = fields.List(fields.String(), load_default=list, validate=[
        validate.Length(max=20), known(INTERESTS, "interest", "cooking")],
        metadata={"example": ["cooking", "parks"]})
    slots = fields.List(fields.String(), required=True, validate=[
        validate.Length(min=1, max=21), known(SLOTS, "slot", "sat-morning")],
        metadata={"description": "Weekly availability: day-part, part one of morning, "
                                 "afternoon, evening.",
                  "example": ["sat-morning", "sun-afternoon"]})
    preferences = fields.Nested(Preferences, load_default=dict)
    capacity = fields.Integer(strict=True, load_default=1, validate=validate.Range(1, 3),
                              metadata={"description": "Partners: how many families at once."})

    @validates("languages")
    def _distinct_languages(self, value: list[dict], **_: Any) -> None:
        codes = [skill.get("code") for skill in value if isinstance(skill, dict)]
        if len(set(codes)) != len(codes):
            raise ValidationError("a language is listed twice")

    @post_load
    def _tidy(self, data: dict, **_: Any) -> dict:
        data["name"] = data["name"].strip()
        data["preferences"] = {k: v for k, v in data["preferences"].items() if v is not None}
        return data


class ApplicationReceived(Schema):
    id = fields.String(required=True)
    role = fields.String(required=True, metadata={"example": "resident"})
    status = fields.String(required=True, metadata={"example": "applied"})


class Area(Schema):
    code = fields.String(required=True, metadata={"example": "shinjuku"})
    kind = fields.String(required=True, validate=validate.OneOf(AREA_KINDS), metadata={
        "description": "ward (Tokyo's 23), city, town or village (the rest of Tokyo), or "
                       "nearby (a city in a neighbouring prefecture).", "example": "ward"})
    name = fields.Nested(Localised, required=True)


class AreaList(Schema):
    areas = fields.List(fields.Nested(Area), required=True)


APPLICATION_EXAMPLE = {
    "name": "Maya Gurung", "email": "maya@example.org", "locale": "ne-NP", "area": "shinjuku",
    "languages": [{"code": "ne", "level": "native"}, {"code": "en", "level": "conversational"},
                  {"code": "ja", "level": "basic"}],
    "household_size": 3, "children_ages": [2, 5], "interests": ["cooking", "parks"],
    "slots": ["sat-morning", "sun-afternoon"], "preferences": {"partner_gender": "female"},
}
ALREADY_APPLIED = ("409 when a live application (being screened, or approved) with this "
                   "e-mail address exists for the role; one turned away or withdrawn does not "
                   "count, so the person may apply again.")
RECEIVED = "Application received; staff will screen it."
CONFLICT = {"409": "Conflict"}


def _application(id: str, path: str, rpc: str, summary: str,
                 example: dict[str, Any] | None = None) -> Operation:
    return Operation(
        id=id, method="POST", path=path, rpc=rpc, tag="matching", summary=summary,
        body=Application, example=example, response=ApplicationReceived, status=201,
        returns=RECEIVED, errors=CONFLICT, description=ALREADY_APPLIED)


LIST_AREAS = Operation(
    id="listAreas", method="GET", path="/api/areas", rpc="matching.list_areas",
    tag="matching", summary="The areas an application or Spot request may name",
    response=AreaList, returns="Every area, with its names in ja, en and ne.",
    description="The codes are the `area` values applications and Spot requests take; any "
                "other is refused (a Family Friend application outside the list must give its "
                "coordinates).")

APPLY_RESIDENT = _application(
    "applyResident", "/api/applications/residents", "matching.apply_resident",
    "A family applies for a Family Friend", APPLICATION_EXAMPLE)
APPLY_PARTNER = _application(
    "applyPartner", "/api/applications/partners", "matching.apply_partner",
    "A Japanese local applies to be a Family Friend partner")
APPLY_VOLUNTEER = _application(
    "applyVolunteer", "/api/applications/volunteers", "matching.apply_volunteer",
    "A volunteer applies for Spot Otonari-san")


# -- Family Friend offers, answered by their signed links --------------------------------------

class PairingResponse(Strict):
    token = fields.String(required=True, validate=validate.Length(min=10, max=2000),
                          metadata={"description": "The token of the signed link."})
    answer = fields.String(required=True, validate=validate.OneOf(["accept", "decline"]))
    share_contact = fields.Boolean(load_default=False, metadata={
        "description": "With an acceptance: the person agrees that the other side may have "
                       "their name and e-mail address (default false: JII staff introduce "
                       "them instead)."})


class PairingState(Schema):
    id = fields.String(required=True)
    state = fields.String(required=True, metadata={"example": "active"})


RESPOND_TO_PAIRING = Operation(
    id="respondToPairing", method="POST", path="/api/pairing-responses",
    rpc="matching.respond_to_pairing", tag="matching",
    summary="Accept or decline a pairing offer (signed link, 3 days)",
    body=PairingResponse, response=PairingState, returns="Answer recorded.", errors=CONFLICT,
    description="A link that is expired or no longer open is 409; a forged one is 400 "
                "bad-signature.")


# -- Spot Otonari-san requests ------------------------------------------------------------------

class SpotRequest(Strict):
    name = text(200, required=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    locale = Locale(required=True, metadata={
        "description": "A language tag whose language is ja, en or ne (the region is "
                       "dropped)."})
    kind = fields.String(required=True, validate=validate.OneOf(SPOT_KINDS))
    starts_at = fields.AwareDateTime(required=True, metadata={
        "description": "ISO 8601 with offset.", "example": "2026-04-11T10:00:00+09:00"})
    area = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "Municipality code from `GET /api/areas`."})
    languages = fields.List(fields.String(), required=True, validate=[
        validate.Length(min=1, max=5), known(LANGUAGES, "language", "ne")],
        metadata={"example": ["ne", "en"]})
    note = NOTE


class SpotRequestState(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"example": "open"})
    kind = fields.String(required=True)
    starts_at = fields.String(required=True)
    area = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    volunteer_id = fields.String(allow_none=True)
    hours = fields.Float(allow_none=True)


CREATE_SPOT_REQUEST = Operation(
    id="createSpotRequest", method="POST", path="/api/spot-requests",
    rpc="matching.create_spot_request", tag="matching",
    summary="A resident asks for one-time help", body=SpotRequest, response=SpotRequestState,
    status=201, returns="Request recorded.",
    description="`starts_at` must be ahead and at most six months away (400 naming it "
                "otherwise); `languages` are in order of preference, the first weighing most "
                "when volunteers are ranked.")


# -- staff lists ------------------------------------------------------------------------------
# Names and e-mail addresses: personal data for staff eyes, answered, never logged.

class ListQuery(PageQuery):
    """Matching's staff lists: a page after a cursor this service made."""


class ParticipantQuery(ListQuery):
    role = fields.String(validate=validate.OneOf(ROLES))
    status = fields.String(validate=validate.OneOf(PARTICIPANT_STATUSES))
    # free text (an area outside the table is allowed), but no NUL: PostgreSQL refuses it
    area = fields.String(validate=[validate.Length(min=1, max=100), no_control_characters],
                         metadata={"description": "Municipality code, e.g. shinjuku."})
    language = fields.String(validate=validate.OneOf(LANGUAGES, error=UNKNOWN_LANGUAGE),
                             metadata={"description": "Speaks this language (ISO 639-1) at "
                                                      "any level."})


class PairingQuery(ListQuery):
    state = fields.String(validate=validate.OneOf(PAIRING_STATES), metadata={
        "description": "Without it, proposals superseded by a later run are left out."})
    participant_id = uuid_text(metadata={"description": "The resident or the partner."})


class SpotRequestQuery(ListQuery):
    status = fields.String(validate=validate.OneOf(SPOT_STATUSES))
    kind = fields.String(validate=validate.OneOf(SPOT_KINDS))
    from_ = fields.Date(data_key="from", validate=in_calendar, metadata={
        "description": "First day (Tokyo) the request takes place on, inclusive."})
    to = fields.Date(validate=in_calendar, metadata={"description": "Last day (Tokyo), "
                                                                    "inclusive."})

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
    next = next_cursor("Pass as `after` (with the same filters) for the next page; null on "
                       "the last page.")


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
    next = next_cursor()


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
    next = next_cursor()


class MatchingRunSummary(Schema):
    run_id = fields.String(required=True)
    requested_by = fields.String(allow_none=True)
    residents = fields.Integer(required=True)
    partners = fields.Integer(required=True)
    proposals = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata=DATE_TIME)


class MatchingRunPage(Schema):
    runs = fields.List(fields.Nested(MatchingRunSummary), required=True)
    next = next_cursor()


LIST_PARTICIPANTS = Operation(
    id="listParticipants", method="GET", path="/api/staff/participants",
    rpc="matching.list_participants", tag="matching",
    summary="Applicants and participants for screening, newest first",
    query=ParticipantQuery, response=ParticipantPage,
    returns="One page of participants and the next page's cursor.", roles=STAFF,
    description="Names and e-mail addresses: personal data for staff, never logged.")

LIST_PAIRINGS = Operation(
    id="listPairings", method="GET", path="/api/staff/pairings", rpc="matching.list_pairings",
    tag="matching", summary="Pairings with both sides' names, newest proposal first",
    query=PairingQuery, response=PairingPage, returns="One page of pairings.", roles=STAFF)

LIST_SPOT_REQUESTS = Operation(
    id="listSpotRequests", method="GET", path="/api/staff/spot-requests",
    rpc="matching.list_spot_requests", tag="matching", summary="Spot requests, newest first",
    query=SpotRequestQuery, response=SpotRequestPage, returns="One page of spot requests.",
    roles=STAFF)

LIST_MATCHING_RUNS = Operation(
    id="listMatchingRuns", method="GET", path="/api/staff/matching/runs",
    rpc="matching.list_runs", tag="matching",
    summary="Batch runs, newest first, with their counts", query=ListQuery,
    response=MatchingRunPage, returns="One page of runs.", roles=STAFF)


# -- screening --------------------------------------------------------------------------------

class Approval(Strict):
    capacity = fields.Integer(strict=True, validate=validate.Range(0, 3), metadata={
        "description": "Partners: how many families at once (the application's when "
                       "left out)."})


class ParticipantApproved(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"example": "approved"})
    cleared = fields.Boolean(required=True)


class Departure(Strict):
    """Why someone is turned away or leaves: a code for reports, a note for the staff (never
    sent in an event); "other" says what in the note."""

    note = fields.String(allow_none=True, validate=validate.Length(max=500), metadata={
        "description": "For the staff (never sent in an event); required with reason `other`."})

    @validates_schema
    def _other_is_explained(self, data: dict, **_: Any) -> None:
        if data.get("reason") == "other" and not (data.get("note") or "").strip():
            raise ValidationError("Say what the other reason is.", "note")


class Rejection(Departure):
    reason = fields.String(required=True, validate=validate.OneOf(REJECT_REASONS), metadata={
        "description": "Screening's answer: " + ", ".join(REJECT_REASONS) + "."})


class Withdrawal(Departure):
    reason = fields.String(required=True, validate=validate.OneOf(WITHDRAW_REASONS), metadata={
        "description": "Why they leave: " + ", ".join(WITHDRAW_REASONS) + "."})


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


NO_PARTICIPANT = {"404": not_found("participant")}

GET_PARTICIPANT = Operation(
    id="getParticipant", method="GET", path="/api/staff/participants/<participant_id>",
    rpc="matching.get_participant", tag="matching",
    summary="One participant in full: profile, pairings, spot requests",
    response=ParticipantProfile, returns="The participant.", roles=STAFF,
    checked_ids=("participant_id",), errors=NO_PARTICIPANT,
    description="Everything screening and matching use (languages, household, children's "
                "ages, availability, preferences), their pairings with the other side named "
                "and, for a volunteer, their spot requests and hours of the last 30 days. "
                "Personal data for staff, never logged. A malformed id is 400.")

APPROVE_PARTICIPANT = Operation(
    id="approveParticipant", method="POST", path="/api/staff/participants/<participant_id>/approve",
    rpc="matching.approve_participant", tag="matching",
    summary="Screening passed (partners and volunteers are cleared)",
    body=Approval, body_optional=True, example={"capacity": 2}, response=ParticipantApproved,
    returns="Approved.", roles=STAFF, errors=NO_PARTICIPANT)

REJECT_PARTICIPANT = Operation(
    id="rejectParticipant", method="POST", path="/api/staff/participants/<participant_id>/reject",
    rpc="matching.reject_participant", tag="matching",
    summary="Screening turns an applicant away (applied → rejected)",
    body=Rejection, example={"reason": "not_eligible",
                             "note": "lives outside the areas JII serves"},
    response=ParticipantStatus, returns="Rejected (a repeat changes nothing).", roles=STAFF,
    errors={**NO_PARTICIPANT, **CONFLICT},
    description="Only an applicant can be rejected; an approved participant is withdrawn "
                "instead (409). Emits participant_rejected.")

WITHDRAW_PARTICIPANT = Operation(
    id="withdrawParticipant", method="POST",
    path="/api/staff/participants/<participant_id>/withdraw",
    rpc="matching.withdraw_participant", tag="matching",
    summary="Someone leaves (applied or approved → withdrawn)",
    body=Withdrawal, example={"reason": "moved", "note": "moved to Osaka"},
    response=ParticipantStatus, returns="Withdrawn, with the proposals and offers cancelled.",
    roles=STAFF, errors={**NO_PARTICIPANT, **CONFLICT},
    description="Their proposals and open offers are cancelled and they are never matched "
                "again. While they are in an active or inactive pairing (close it early "
                "first) or assigned to a spot request (complete or cancel it first) the answer "
                "is 409. Emits participant_withdrawn.")


# -- Family Friend runs and pairings ----------------------------------------------------------

SCORE_TERMS = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={
    "description": "Each term 0..1 (language, distance, children, interests, availability, "
                   "waiting) and the weighted total."})


class MatchingRun(Schema):
    run_id = fields.String(required=True)
    residents = fields.Integer(required=True)
    partners = fields.Integer(required=True)
    proposals = fields.List(fields.Dict(), required=True, metadata={
        "description": "pairing_id, resident_id, partner_id, score, breakdown per term, and "
                       "the top three alternatives."})
    unmatched = fields.List(fields.String(), required=True)
    timings = fields.Dict(keys=fields.String(), values=fields.Float())


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


class Closing(Strict):
    reason = fields.String(required=True, validate=validate.OneOf(CLOSE_REASONS))
    note = NOTE


class Checkin(Strict):
    met_on = fields.Date(allow_none=True, metadata={
        "description": "The day they met (Tokyo); not after today nor before the pairing "
                       "began."})
    note = NOTE


class CheckinLogged(Schema):
    id = fields.String(required=True)
    pairing = fields.Nested(Pairing, required=True)


NO_PAIRING = {"404": not_found("pairing")}

RUN_MATCHING = Operation(
    id="runMatching", method="POST", path="/api/staff/matching/runs",
    rpc="matching.run_matching", tag="matching",
    summary="Propose an optimal assignment over everyone ready", response=MatchingRun,
    status=201, returns="Proposals saved.", roles=STAFF)

GET_MATCHING_RUN = Operation(
    id="getMatchingRun", method="GET", path="/api/staff/matching/runs/<run_id>",
    rpc="matching.get_run", tag="matching",
    summary="A run again: proposals, breakdowns, alternatives, who waits",
    response=MatchingRunView, returns="The run.", roles=STAFF,
    errors={"404": not_found("matching run")})

GET_PAIRING = Operation(
    id="getPairing", method="GET", path="/api/staff/pairings/<pairing_id>",
    rpc="matching.get_pairing", tag="matching",
    summary="A pairing with its score breakdown and alternatives", response=Pairing,
    returns="The pairing.", roles=STAFF, errors=NO_PAIRING)

APPROVE_PAIRING = Operation(
    id="approvePairing", method="POST", path="/api/staff/pairings/<pairing_id>/approve",
    rpc="matching.approve_pairing", tag="matching",
    summary="Approve a proposal: both sides get signed links", response=Pairing,
    returns="Offered.", roles=STAFF, errors={**NO_PAIRING, **CONFLICT})

CLOSE_PAIRING = Operation(
    id="closePairing", method="POST", path="/api/staff/pairings/<pairing_id>/close",
    rpc="matching.close_pairing", tag="matching", summary="Close a pairing early with a reason",
    body=Closing, example={"reason": "moved"}, response=Pairing, returns="Closed.",
    roles=STAFF, errors={**NO_PAIRING, **CONFLICT})

LOG_CHECKIN = Operation(
    id="logCheckin", method="POST", path="/api/staff/pairings/<pairing_id>/checkins",
    rpc="matching.log_checkin", tag="matching", summary="Log a monthly check-in",
    body=Checkin, example={"met_on": "2026-05-10"}, response=CheckinLogged, status=201,
    returns="Logged.", roles=STAFF, errors={**NO_PAIRING, **CONFLICT},
    description="`met_on` may not be after today or before the pairing began (Tokyo days; "
                "400 naming it).")


# -- Spot assignment --------------------------------------------------------------------------

class SpotCandidates(Schema):
    spot_request_id = fields.String(required=True)
    candidates = fields.List(fields.Dict(), required=True, metadata={
        "description": "volunteer_id, name, score, breakdown, recent_load; best first."})


def _lowercase_ids(data: dict, *names: str) -> dict:
    # ids as the database writes them, so that the service may compare them as text
    return {**data, **{name: data[name].lower() for name in names if data.get(name)}}


class SpotAssignment(Strict):
    volunteer_id = uuid_text(required=True)

    @post_load
    def _as_written(self, data: dict, **_: Any) -> dict:
        return _lowercase_ids(data, "volunteer_id")


class SpotReassignment(Departure):
    """Another volunteer takes an assigned request: who, and why the one assigned no longer
    goes (a code for the former volunteer's message, a note for the staff)."""

    volunteer_id = uuid_text(required=True, metadata={
        "description": "The volunteer who goes instead: approved, and speaking one of the "
                       "request's languages from conversational up."})
    reason = fields.String(required=True, validate=validate.OneOf(UNASSIGN_REASONS), metadata={
        "description": "Why the volunteer assigned no longer goes (told to them): "
                       + ", ".join(UNASSIGN_REASONS) + "."})
    replacing = uuid_text(metadata={
        "description": "The volunteer the staff member saw assigned. When given and someone "
                       "else has been assigned since (another staff member's reassignment), "
                       "the answer is 409 and nothing changes."})

    @post_load
    def _as_written(self, data: dict, **_: Any) -> dict:
        return _lowercase_ids(data, "volunteer_id", "replacing")


class SpotCompletion(Strict):
    hours = fields.Float(required=True, validate=validate.Range(0.25, 24))


class SpotCancellation(Strict):
    reason = text(500, required=True)


NO_SPOT_REQUEST = {"404": not_found("spot request")}


def _spot_action(id: str, action: str, summary: str, body: type[Schema], returns: str,
                 **declared: Any) -> Operation:
    return Operation(
        id=id, method="POST", path=f"/api/staff/spot-requests/<request_id>/{action}",
        rpc=f"matching.{action}_spot_request", tag="matching", summary=summary, body=body,
        response=SpotRequestState, returns=returns, roles=STAFF,
        errors={**NO_SPOT_REQUEST, **CONFLICT}, **declared)


SPOT_CANDIDATES = Operation(
    id="spotCandidates", method="GET", path="/api/staff/spot-requests/<request_id>/candidates",
    rpc="matching.spot_candidates", tag="matching",
    summary="Volunteers ranked by language, distance, availability, load",
    response=SpotCandidates, returns="Ranked volunteers.", roles=STAFF, errors=NO_SPOT_REQUEST)

ACCEPT_SPOT_REQUEST = _spot_action(
    "acceptSpotRequest", "accept", "Record the volunteer who takes the request",
    SpotAssignment, "Assigned.")

REASSIGN_SPOT_REQUEST = _spot_action(
    "reassignSpotRequest", "reassign", "Another volunteer goes instead of the one assigned",
    SpotReassignment, "Reassigned.",
    example={"volunteer_id": "0b6f2d1e-3c4a-4b5d-8e9f-1a2b3c4d5e6f",
             "reason": "volunteer_unavailable"},
    description="Only an assigned request that has not started (409 otherwise), and only to "
                "an approved volunteer, other than the one assigned, who speaks one of its "
                "languages from conversational up (409; 404 for no such participant). Two "
                "staff reassigning the same request at once: one wins, the other gets 409. "
                "Emits spot_request_unassigned (to the former volunteer, with the reason) and "
                "spot_request_assigned (the requester and the new volunteer). The day-before "
                "reminder starts over: if it had gone out, both sides are reminded again with "
                "the new volunteer's name.")

COMPLETE_SPOT_REQUEST = _spot_action(
    "completeSpotRequest", "complete", "Completed, with the hours given", SpotCompletion,
    "Completed.", example={"hours": 2.5},
    description="Only once the visit has begun, and with no more hours than have passed since "
                "(400 naming `hours`).")

CANCEL_SPOT_REQUEST = _spot_action(
    "cancelSpotRequest", "cancel", "Cancel a spot request", SpotCancellation, "Cancelled.")


# -- the report -------------------------------------------------------------------------------

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


MATCHING_REPORT = Operation(
    id="matchingReport", method="GET", path="/api/staff/reports/matching",
    rpc="matching.report", tag="matching",
    summary="Waiting, supply and demand, pairings by state, completion",
    response=MatchingReport, returns="The report.", roles=STAFF)
