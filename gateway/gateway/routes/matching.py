"""Matching routes: applications, Family Friend pairings, Spot Otonari-san, reports."""

from __future__ import annotations

import re
from typing import Any

from api.doc import ok, problem_response
from api.fields import CURSOR_PATTERN, UUID_PATTERN
from contracts.matching import ROLES, SPOT_KINDS
from servicekit.errors import InvalidInput
from werkzeug.wrappers import Request, Response

from gateway.routes import matching_schemas as ms
from gateway.web import http, json_response, read_json

STAFF_ROLES = ("admin", "staff")


class MatchingRoutes:
    """Needs a `matching` RPC proxy and `staff` auth on the service."""

    # -- public ---------------------------------------------------------------------------

    @http("GET", "/api/areas")
    def list_areas(self, request: Request) -> Response:
        return json_response(ms.AreaList().dump(self.matching.list_areas()))

    @http("POST", "/api/applications/residents")
    def apply_resident(self, request: Request) -> Response:
        return self._apply(request, "resident")

    @http("POST", "/api/applications/partners")
    def apply_partner(self, request: Request) -> Response:
        return self._apply(request, "partner")

    @http("POST", "/api/applications/volunteers")
    def apply_volunteer(self, request: Request) -> Response:
        return self._apply(request, "volunteer")

    def _apply(self, request: Request, role: str) -> Response:
        body = read_json(request, ms.Application())
        created = self.matching.apply(role, body)
        return json_response(ms.ApplicationReceived().dump(created), status=201)

    @http("POST", "/api/pairing-responses")
    def respond_to_pairing(self, request: Request) -> Response:
        body = read_json(request, ms.PairingResponse())
        return json_response(ms.PairingState().dump(self.matching.respond_to_pairing(body)))

    @http("POST", "/api/spot-requests")
    def create_spot_request(self, request: Request) -> Response:
        body = read_json(request, ms.SpotRequest())
        created = self.matching.create_spot_request(body)
        return json_response(ms.SpotRequestState().dump(created), status=201)

    # -- staff ----------------------------------------------------------------------------
    # Lists carry personal data for staff eyes: answered, never logged.

    @http("GET", "/api/staff/participants", query=ms.ParticipantQuery)
    def list_participants(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        query = ms.ParticipantQuery().dump(query)  # as the service reads it: `from`, not `from_`
        return json_response(ms.ParticipantPage().dump(self.matching.list_participants(query)))

    @http("GET", "/api/staff/participants/<participant_id>")
    def get_participant(self, request: Request, participant_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        _uuid(participant_id, "participant_id")
        found = self.matching.get_participant(participant_id)
        return json_response(ms.ParticipantProfile().dump(found))

    @http("POST", "/api/staff/participants/<participant_id>/reject")
    def reject_participant(self, request: Request, participant_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        body = read_json(request, ms.Rejection())
        result = self.matching.reject_participant(participant_id, body)
        return json_response(ms.ParticipantStatus().dump(result))

    @http("POST", "/api/staff/participants/<participant_id>/withdraw")
    def withdraw_participant(self, request: Request, participant_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        body = read_json(request, ms.Withdrawal())
        result = self.matching.withdraw_participant(participant_id, body)
        return json_response(ms.ParticipantStatus().dump(result))

    @http("POST", "/api/staff/participants/<participant_id>/approve")
    def approve_participant(self, request: Request, participant_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        body = read_json(request, ms.Approval()) if request.content_length else {}
        result = self.matching.approve_participant(participant_id, body)
        return json_response(ms.ParticipantApproved().dump(result))

    @http("POST", "/api/staff/matching/runs")
    def run_matching(self, request: Request) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        return json_response(ms.MatchingRun().dump(self.matching.run_matching()), status=201)

    @http("GET", "/api/staff/matching/runs", query=ms.PageQuery)
    def list_matching_runs(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        query = ms.PageQuery().dump(query)  # as the service reads it: `from`, not `from_`
        return json_response(ms.MatchingRunPage().dump(self.matching.list_runs(query)))

    @http("GET", "/api/staff/matching/runs/<run_id>")
    def get_matching_run(self, request: Request, run_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        return json_response(ms.MatchingRunView().dump(self.matching.get_run(run_id)))

    @http("GET", "/api/staff/pairings", query=ms.PairingQuery)
    def list_pairings(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        query = ms.PairingQuery().dump(query)  # as the service reads it: `from`, not `from_`
        return json_response(ms.PairingPage().dump(self.matching.list_pairings(query)))

    @http("GET", "/api/staff/pairings/<pairing_id>")
    def get_pairing(self, request: Request, pairing_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        return json_response(ms.Pairing().dump(self.matching.get_pairing(pairing_id)))

    @http("POST", "/api/staff/pairings/<pairing_id>/approve")
    def approve_pairing(self, request: Request, pairing_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        return json_response(ms.Pairing().dump(self.matching.approve_pairing(pairing_id)))

    @http("POST", "/api/staff/pairings/<pairing_id>/close")
    def close_pairing(self, request: Request, pairing_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        body = read_json(request, ms.Closing())
        return json_response(ms.Pairing().dump(self.matching.close_pairing(pairing_id, body)))

    @http("POST", "/api/staff/pairings/<pairing_id>/checkins")
    def log_checkin(self, request: Request, pairing_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        body = read_json(request, ms.Checkin())
        logged = self.matching.log_checkin(pairing_id, body)
        return json_response(ms.CheckinLogged().dump(logged), status=201)

    @http("GET", "/api/staff/spot-requests", query=ms.SpotRequestQuery)
    def list_spot_requests(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        query = ms.SpotRequestQuery().dump(query)  # as the service reads it: `from`, not `from_`
        return json_response(ms.SpotRequestPage().dump(self.matching.list_spot_requests(query)))

    @http("GET", "/api/staff/spot-requests/<request_id>/candidates")
    def spot_candidates(self, request: Request, request_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        return json_response(ms.SpotCandidates().dump(self.matching.spot_candidates(request_id)))

    @http("POST", "/api/staff/spot-requests/<request_id>/accept")
    def accept_spot_request(self, request: Request, request_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        body = read_json(request, ms.SpotAssignment())
        result = self.matching.accept_spot_request(request_id, body)
        return json_response(ms.SpotRequestState().dump(result))

    @http("POST", "/api/staff/spot-requests/<request_id>/reassign")
    def reassign_spot_request(self, request: Request, request_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        body = read_json(request, ms.SpotReassignment())
        result = self.matching.reassign_spot_request(request_id, body)
        return json_response(ms.SpotRequestState().dump(result))

    @http("POST", "/api/staff/spot-requests/<request_id>/complete")
    def complete_spot_request(self, request: Request, request_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        body = read_json(request, ms.SpotCompletion())
        result = self.matching.complete_spot_request(request_id, body)
        return json_response(ms.SpotRequestState().dump(result))

    @http("POST", "/api/staff/spot-requests/<request_id>/cancel")
    def cancel_spot_request(self, request: Request, request_id: str) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        body = read_json(request, ms.SpotCancellation())
        result = self.matching.cancel_spot_request(request_id, body)
        return json_response(ms.SpotRequestState().dump(result))

    @http("GET", "/api/staff/reports/matching")
    def matching_report(self, request: Request) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        return json_response(ms.MatchingReport().dump(self.matching.report()))


def _uuid(value: str, name: str) -> None:
    """A malformed id in the path is a bad request (400), not a missing record."""
    if not re.fullmatch(UUID_PATTERN, value):
        raise InvalidInput(f"the {name.replace('_', ' ')} is not valid",
                           {name: ["Not a valid UUID."]})


COMPONENTS = {
    "Area": ms.Area, "AreaList": ms.AreaList,
    "Application": ms.Application, "ApplicationReceived": ms.ApplicationReceived,
    "PairingResponse": ms.PairingResponse, "PairingState": ms.PairingState,
    "Pairing": ms.Pairing, "MatchingRun": ms.MatchingRun, "Approval": ms.Approval,
    "ParticipantApproved": ms.ParticipantApproved, "Closing": ms.Closing,
    "Checkin": ms.Checkin, "CheckinLogged": ms.CheckinLogged,
    "SpotRequest": ms.SpotRequest, "SpotRequestState": ms.SpotRequestState,
    "SpotCandidates": ms.SpotCandidates, "SpotAssignment": ms.SpotAssignment,
    "SpotCompletion": ms.SpotCompletion, "SpotCancellation": ms.SpotCancellation,
    "MatchingReport": ms.MatchingReport,
    # nested schemas before the ones holding them: apispec names a nested schema itself
    "PersonRef": ms.PersonRef,
    "ParticipantSummary": ms.ParticipantSummary, "ParticipantPage": ms.ParticipantPage,
    "PairingSummary": ms.PairingSummary, "PairingPage": ms.PairingPage,
    "SpotRequestSummary": ms.SpotRequestSummary, "SpotRequestPage": ms.SpotRequestPage,
    "MatchingRunSummary": ms.MatchingRunSummary, "MatchingRunPage": ms.MatchingRunPage,
    "RunAlternative": ms.RunAlternative, "RunProposal": ms.RunProposal,
    "MatchingRunView": ms.MatchingRunView,
    "Rejection": ms.Rejection, "Withdrawal": ms.Withdrawal,
    "ParticipantStatus": ms.ParticipantStatus,
    "ParticipantPairing": ms.ParticipantPairing,
    "ParticipantSpotRequest": ms.ParticipantSpotRequest,
    "ParticipantProfile": ms.ParticipantProfile, "SpotReassignment": ms.SpotReassignment,
}

UNAUTHORIZED = problem_response("Missing, malformed or expired staff token.", {
    "type": "/problems/unauthorized", "title": "Unauthorized", "status": 401,
    "detail": "staff routes need an Authorization: Bearer token"})
FORBIDDEN = problem_response("The token's role may not do this.", {
    "type": "/problems/forbidden", "title": "Forbidden", "status": 403,
    "detail": "this needs the role admin or staff"})
NOT_FOUND = problem_response("No such record.", {
    "type": "/problems/not-found", "title": "Not found", "status": 404,
    "detail": "no such pairing"})
COMMON = {"500": "InternalError", "503": "ServiceUnavailable"}
BODY = {"400": "InvalidInput", "413": "PayloadTooLarge", "415": "UnsupportedMediaType"}
STAFF = {"401": UNAUTHORIZED, "403": FORBIDDEN}
BEARER = [{"in": "header", "name": "Authorization", "required": True,
           "schema": {"type": "string"}, "example": "Bearer eyJhbGciOiJIUzI1NiJ9..."}]


def _path(name: str) -> dict[str, Any]:
    return {"in": "path", "name": name, "required": True,
            "schema": {"type": "string", "format": "uuid"}}


def _query_parameter(name: str, schema: dict[str, Any],
                     description: str | None = None) -> dict[str, Any]:
    parameter = {"in": "query", "name": name, "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def _enum(values: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


# Every staff list pages the same way.
PAGE = [
    _query_parameter("limit", {"type": "integer", "minimum": 1, "maximum": ms.MAX_PAGE,
                               "default": 50}),
    _query_parameter("after", {"type": "string", "pattern": CURSOR_PATTERN,
                               "maxLength": 200}, "The `next` cursor of the previous page."),
]


def _operation(operation_id: str, summary: str, responses: dict[str, Any], *,
               body: type | None = None, example: dict | None = None, staff: bool = False,
               path: str | None = None, description: str | None = None,
               query: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id, "tags": ["matching"], "summary": summary,
        "responses": {**responses, **(BODY if body else {}), **(STAFF if staff else {}),
                      **COMMON},
    }
    if description:
        operation["description"] = description
    parameters = (list(BEARER) if staff else []) + ([_path(path)] if path else []) + (
        query or [])
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        content: dict[str, Any] = {"schema": body}
        if example is not None:
            content["example"] = example
        operation["requestBody"] = {"required": True, "content": {"application/json": content}}
    return operation


APPLICATION_EXAMPLE = {
    "name": "Maya Gurung", "email": "maya@example.org", "locale": "ne-NP", "area": "shinjuku",
    "languages": [{"code": "ne", "level": "native"}, {"code": "en", "level": "conversational"},
                  {"code": "ja", "level": "basic"}],
    "household_size": 3, "children_ages": [2, 5], "interests": ["cooking", "parks"],
    "slots": ["sat-morning", "sun-afternoon"], "preferences": {"partner_gender": "female"},
}
RECEIVED = ok("Application received; staff will screen it.", ms.ApplicationReceived)
CONFLICT = {"409": "Conflict"}
ALREADY_APPLIED = ("409 when a live application (being screened, or approved) with this "
                   "e-mail address exists for the role; one turned away or withdrawn does not "
                   "count, so the person may apply again.")

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/areas", "get"): _operation(
        "listAreas", "The areas an application or Spot request may name",
        {"200": ok("Every area, with its names in ja, en and ne.", ms.AreaList)},
        description="The codes are the `area` values applications and Spot requests take; "
                    "any other is refused (a Family Friend application outside the list "
                    "must give its coordinates)."),
    ("/api/applications/residents", "post"): _operation(
        "applyResident", "A family applies for a Family Friend", {"201": RECEIVED, **CONFLICT},
        body=ms.Application, example=APPLICATION_EXAMPLE, description=ALREADY_APPLIED),
    ("/api/applications/partners", "post"): _operation(
        "applyPartner", "A Japanese local applies to be a Family Friend partner",
        {"201": RECEIVED, **CONFLICT}, body=ms.Application, description=ALREADY_APPLIED),
    ("/api/applications/volunteers", "post"): _operation(
        "applyVolunteer", "A volunteer applies for Spot Otonari-san",
        {"201": RECEIVED, **CONFLICT}, body=ms.Application, description=ALREADY_APPLIED),
    ("/api/pairing-responses", "post"): _operation(
        "respondToPairing", "Accept or decline a pairing offer (signed link, 3 days)",
        {"200": ok("Answer recorded.", ms.PairingState), **CONFLICT},
        body=ms.PairingResponse, description="A link that is expired or no longer open is "
                                             "409; a forged one is 400 bad-signature."),
    ("/api/spot-requests", "post"): _operation(
        "createSpotRequest", "A resident asks for one-time help",
        {"201": ok("Request recorded.", ms.SpotRequestState)}, body=ms.SpotRequest,
        description="`starts_at` must be ahead and at most six months away (400 naming it "
                    "otherwise); `languages` are in order of preference, the first weighing "
                    "most when volunteers are ranked."),
    ("/api/staff/participants/{participant_id}/approve", "post"): _operation(
        "approveParticipant", "Screening passed (partners and volunteers are cleared)",
        {"200": ok("Approved.", ms.ParticipantApproved), "400": "InvalidInput",
         "404": NOT_FOUND}, staff=True, path="participant_id"),
    ("/api/staff/matching/runs", "post"): _operation(
        "runMatching", "Propose an optimal assignment over everyone ready",
        {"201": ok("Proposals saved.", ms.MatchingRun)}, staff=True),
    ("/api/staff/pairings/{pairing_id}", "get"): _operation(
        "getPairing", "A pairing with its score breakdown and alternatives",
        {"200": ok("The pairing.", ms.Pairing), "404": NOT_FOUND}, staff=True,
        path="pairing_id"),
    ("/api/staff/pairings/{pairing_id}/approve", "post"): _operation(
        "approvePairing", "Approve a proposal: both sides get signed links",
        {"200": ok("Offered.", ms.Pairing), "404": NOT_FOUND, **CONFLICT}, staff=True,
        path="pairing_id"),
    ("/api/staff/pairings/{pairing_id}/close", "post"): _operation(
        "closePairing", "Close a pairing early with a reason",
        {"200": ok("Closed.", ms.Pairing), "404": NOT_FOUND, **CONFLICT}, staff=True,
        path="pairing_id", body=ms.Closing, example={"reason": "moved"}),
    ("/api/staff/pairings/{pairing_id}/checkins", "post"): _operation(
        "logCheckin", "Log a monthly check-in",
        {"201": ok("Logged.", ms.CheckinLogged), "404": NOT_FOUND, **CONFLICT}, staff=True,
        path="pairing_id", body=ms.Checkin, example={"met_on": "2026-05-10"},
        description="`met_on` may not be after today or before the pairing began (Tokyo days; "
                    "400 naming it)."),
    ("/api/staff/spot-requests/{request_id}/candidates", "get"): _operation(
        "spotCandidates", "Volunteers ranked by language, distance, availability, load",
        {"200": ok("Ranked volunteers.", ms.SpotCandidates), "404": NOT_FOUND}, staff=True,
        path="request_id"),
    ("/api/staff/spot-requests/{request_id}/accept", "post"): _operation(
        "acceptSpotRequest", "Record the volunteer who takes the request",
        {"200": ok("Assigned.", ms.SpotRequestState), "404": NOT_FOUND, **CONFLICT},
        staff=True, path="request_id", body=ms.SpotAssignment),
    ("/api/staff/spot-requests/{request_id}/reassign", "post"): _operation(
        "reassignSpotRequest", "Another volunteer goes instead of the one assigned",
        {"200": ok("Reassigned.", ms.SpotRequestState), "404": NOT_FOUND, **CONFLICT},
        staff=True, path="request_id", body=ms.SpotReassignment,
        example={"volunteer_id": "0b6f2d1e-3c4a-4b5d-8e9f-1a2b3c4d5e6f",
                 "reason": "volunteer_unavailable"},
        description="Only an assigned request that has not started (409 otherwise), and only "
                    "to an approved volunteer, other than the one assigned, who speaks one of "
                    "its languages from conversational up (409; 404 for no such participant). "
                    "Two staff reassigning the same request at once: one wins, the other gets "
                    "409. Emits spot_request_unassigned (to the former volunteer, with the "
                    "reason) and spot_request_assigned (the requester and the new volunteer). "
                    "The day-before reminder starts over: if it had gone out, both sides are "
                    "reminded again with the new volunteer's name."),
    ("/api/staff/spot-requests/{request_id}/complete", "post"): _operation(
        "completeSpotRequest", "Completed, with the hours given",
        {"200": ok("Completed.", ms.SpotRequestState), "404": NOT_FOUND, **CONFLICT},
        staff=True, path="request_id", body=ms.SpotCompletion, example={"hours": 2.5},
        description="Only once the visit has begun, and with no more hours than have passed "
                    "since (400 naming `hours`)."),
    ("/api/staff/spot-requests/{request_id}/cancel", "post"): _operation(
        "cancelSpotRequest", "Cancel a spot request",
        {"200": ok("Cancelled.", ms.SpotRequestState), "404": NOT_FOUND, **CONFLICT},
        staff=True, path="request_id", body=ms.SpotCancellation),
    ("/api/staff/participants", "get"): _operation(
        "listParticipants", "Applicants and participants for screening, newest first",
        {"200": ok("One page of participants and the next page's cursor.", ms.ParticipantPage),
         "400": "InvalidQuery"}, staff=True, query=[
            _query_parameter("role", _enum(ROLES)),
            _query_parameter("status", _enum(ms.PARTICIPANT_STATUSES)),
            _query_parameter("area", {"type": "string", "maxLength": 100},
                             "Municipality code, e.g. shinjuku."),
            _query_parameter("language", {"type": "string", "pattern": "^[a-z]{2,3}$"},
                             "Speaks this language (ISO 639-1) at any level."),
            *PAGE],
        description="Names and e-mail addresses: personal data for staff, never logged."),
    ("/api/staff/participants/{participant_id}", "get"): _operation(
        "getParticipant", "One participant in full: profile, pairings, spot requests",
        {"200": ok("The participant.", ms.ParticipantProfile), "400": "InvalidInput",
         "404": NOT_FOUND}, staff=True, path="participant_id",
        description="Everything screening and matching use (languages, household, children's "
                    "ages, availability, preferences), their pairings with the other side "
                    "named and, for a volunteer, their spot requests and hours of the last 30 "
                    "days. Personal data for staff, never logged. A malformed id is 400."),
    ("/api/staff/participants/{participant_id}/reject", "post"): _operation(
        "rejectParticipant", "Screening turns an applicant away (applied → rejected)",
        {"200": ok("Rejected (a repeat changes nothing).", ms.ParticipantStatus),
         "404": NOT_FOUND, **CONFLICT}, staff=True, path="participant_id",
        body=ms.Rejection, example={"reason": "not_eligible",
                                    "note": "lives outside the areas JII serves"},
        description="Only an applicant can be rejected; an approved participant is withdrawn "
                    "instead (409). Emits participant_rejected."),
    ("/api/staff/participants/{participant_id}/withdraw", "post"): _operation(
        "withdrawParticipant", "Someone leaves (applied or approved → withdrawn)",
        {"200": ok("Withdrawn, with the proposals and offers cancelled.",
                   ms.ParticipantStatus),
         "404": NOT_FOUND, **CONFLICT}, staff=True, path="participant_id",
        body=ms.Withdrawal, example={"reason": "moved", "note": "moved to Osaka"},
        description="Their proposals and open offers are cancelled and they are never matched "
                    "again. While they are in an active or inactive pairing (close it early "
                    "first) or assigned to a spot request (complete or cancel it first) the "
                    "answer is 409. Emits participant_withdrawn."),
    ("/api/staff/matching/runs", "get"): _operation(
        "listMatchingRuns", "Batch runs, newest first, with their counts",
        {"200": ok("One page of runs.", ms.MatchingRunPage), "400": "InvalidQuery"},
        staff=True, query=PAGE),
    ("/api/staff/matching/runs/{run_id}", "get"): _operation(
        "getMatchingRun", "A run again: proposals, breakdowns, alternatives, who waits",
        {"200": ok("The run.", ms.MatchingRunView), "404": NOT_FOUND}, staff=True,
        path="run_id"),
    ("/api/staff/pairings", "get"): _operation(
        "listPairings", "Pairings with both sides' names, newest proposal first",
        {"200": ok("One page of pairings.", ms.PairingPage), "400": "InvalidQuery"},
        staff=True, query=[
            _query_parameter("state", _enum(ms.PAIRING_STATES),
                             "Without it, proposals superseded by a later run are left out."),
            _query_parameter("participant_id", {"type": "string", "format": "uuid"},
                             "The resident or the partner."),
            *PAGE]),
    ("/api/staff/spot-requests", "get"): _operation(
        "listSpotRequests", "Spot requests, newest first",
        {"200": ok("One page of spot requests.", ms.SpotRequestPage), "400": "InvalidQuery"},
        staff=True, query=[
            _query_parameter("status", _enum(ms.SPOT_STATUSES)),
            _query_parameter("kind", _enum(SPOT_KINDS)),
            _query_parameter("from", {"type": "string", "format": "date"},
                             "First day (Tokyo) the request takes place on, inclusive."),
            _query_parameter("to", {"type": "string", "format": "date"},
                             "Last day (Tokyo), inclusive."),
            *PAGE]),
    ("/api/staff/reports/matching", "get"): _operation(
        "matchingReport", "Waiting, supply and demand, pairings by state, completion",
        {"200": ok("The report.", ms.MatchingReport)}, staff=True),
}
