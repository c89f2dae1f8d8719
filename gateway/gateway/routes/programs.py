"""Programs routes: the catalog, Hanamaru classes, consultations and the public impact figures,
with the staff side of classes (roster, capacity, withdrawals, attendance) and of consultations
(search, experts, assignment, states, follow-ups, case notes), and the guardian's signed link
to withdraw a child.

The withdrawal link is opened by a guardian's browser as well as fetched by the site: both
methods answer a page (withdraw_pages) to a client preferring HTML, JSON otherwise.
"""

from __future__ import annotations

from typing import Any

from api.doc import (
    IF_NONE_MATCH,
    NOT_MODIFIED,
    PROBLEM_RESPONSES,
    cached_ok,
    ok,
    problem_response,
)
from api.fields import CURSOR_PATTERN, MONTH_PATTERN
from contracts.programs import TOPICS, URGENCIES
from werkzeug.wrappers import Request, Response

from gateway import pages, withdraw_pages
from gateway.caching import public_json
from gateway.capabilities import link_token, token_parameter
from gateway.routes import programs_schemas as ps
from gateway.web import http, json_response, read_json

CLASS_ROLES = ("admin", "staff")
CASE_ROLES = ("admin", "staff", "consultant")
# Case notes are confidential; the programs service checks the role again on its side.
NOTE_ROLES = ("admin", "consultant")
INVALID_LINK = "this link is not valid"


def withdrawal_token(token: str) -> str:
    return link_token(token, INVALID_LINK)


def _link_json(view: dict[str, Any]) -> Response:
    response = json_response(ps.EnrollmentByLink().dump(view))
    response.vary.add("Accept")  # the same URL answers a browser with a page
    return response


class ProgramRoutes:
    """Needs a `programs` RPC proxy and `staff` auth on the service."""

    # -- public ------------------------------------------------------------------------------

    @http("GET", "/api/programs", query=ps.CatalogQuery)
    def program_catalog(self, request: Request, query: dict[str, Any]) -> Response:
        return public_json(request, ps.ProgramCatalog().dump(
            self.programs.program_catalog(query["lang"])))

    @http("GET", "/api/classes")
    def list_classes(self, request: Request) -> Response:
        # Seats left change with every sign-up: revalidated on each use, never kept stale.
        return public_json(request, ps.ClassList().dump(
            {"classes": self.programs.list_classes()}), max_age=0)

    @http("POST", "/api/classes/<class_id>/enrollments")
    def enroll_child(self, request: Request, class_id: str) -> Response:
        enrollment = read_json(request, ps.EnrollmentRequest())
        created = self.programs.enroll_child(class_id, enrollment)
        return json_response(ps.EnrollmentCreated().dump(created), status=201)

    @http("POST", "/api/consultations")
    def open_consultation(self, request: Request) -> Response:
        consultation = read_json(request, ps.ConsultationRequest())
        created = self.programs.open_consultation(consultation)
        return json_response(ps.ConsultationCreated().dump(created), status=201)

    @http("GET", "/api/class-enrollments/withdraw/<token>", page=withdraw_pages.failure_page)
    def enrollment_by_link(self, request: Request, token: str) -> Response:
        # Changes nothing: mail scanners fetch every link. A browser (the guardian clicking the
        # link in the e-mail) gets a page whose button POSTs here; the site gets JSON.
        checked = withdrawal_token(token)
        view = self.programs.enrollment_by_link(checked)
        if not pages.prefers_html(request):
            return _link_json(view)
        return withdraw_pages.link_page(checked, ps.EnrollmentByLink().dump(view),
                                        pages.language_of(request))

    @http("POST", "/api/class-enrollments/withdraw/<token>", page=withdraw_pages.failure_page)
    def withdraw_by_link(self, request: Request, token: str) -> Response:
        # The token is the whole request; a body, if any (the page's form sends an empty one),
        # is not read.
        view = self.programs.withdraw_by_link(withdrawal_token(token))
        if not pages.prefers_html(request):
            return _link_json(view)
        return withdraw_pages.done_page(ps.EnrollmentByLink().dump(view),
                                        pages.language_of(request))

    @http("GET", "/api/impact", query=ps.ImpactQuery)
    def impact(self, request: Request, query: dict[str, Any]) -> Response:
        figures = self.programs.impact_figures({"from": query["from_"], "to": query["to"]})
        return public_json(request, ps.Impact().dump(figures))

    # -- staff: classes ----------------------------------------------------------------------

    @http("POST", "/api/staff/classes")
    def create_class(self, request: Request) -> Response:
        self.staff.require(request, *CLASS_ROLES)
        body = read_json(request, ps.ClassRequest())
        return json_response(ps.ClassRoster().dump(self.programs.create_class(body)), status=201)

    @http("GET", "/api/staff/classes/<class_id>")
    def class_roster(self, request: Request, class_id: str) -> Response:
        self.staff.require(request, *CLASS_ROLES)
        return json_response(ps.ClassRoster().dump(self.programs.class_roster(class_id)))

    @http("POST", "/api/staff/classes/<class_id>/capacity")
    def change_class_capacity(self, request: Request, class_id: str) -> Response:
        self.staff.require(request, *CLASS_ROLES)
        body = read_json(request, ps.CapacityRequest())
        return json_response(ps.CapacityChanged().dump(
            self.programs.change_class_capacity(class_id, body)))

    @http("PATCH", "/api/staff/classes/<class_id>")
    def update_class(self, request: Request, class_id: str) -> Response:
        self.staff.require(request, *CLASS_ROLES)
        body = read_json(request, ps.ClassUpdateRequest())
        return json_response(ps.CapacityChanged().dump(
            self.programs.update_class(class_id, body)))

    @http("POST", "/api/staff/classes/<class_id>/sessions/<session_id>/cancel")
    def cancel_session(self, request: Request, class_id: str, session_id: str) -> Response:
        self.staff.require(request, *CLASS_ROLES)
        body = read_json(request, ps.SessionCancelRequest())
        return json_response(ps.SessionCancelled().dump(
            self.programs.cancel_session(class_id, session_id, body)))

    @http("POST", "/api/staff/classes/<class_id>/enrollments/<enrollment_id>/withdraw")
    def withdraw_enrollment(self, request: Request, class_id: str,
                            enrollment_id: str) -> Response:
        self.staff.require(request, *CLASS_ROLES)
        body = read_json(request, ps.WithdrawRequest())
        return json_response(ps.Withdrawn().dump(
            self.programs.withdraw_enrollment(class_id, enrollment_id, body)))

    @http("POST", "/api/staff/classes/<class_id>/sessions/<session_id>/attendance")
    def record_attendance(self, request: Request, class_id: str, session_id: str) -> Response:
        self.staff.require(request, *CLASS_ROLES)
        body = read_json(request, ps.AttendanceRequest())
        return json_response(ps.AttendanceRecorded().dump(
            self.programs.record_attendance(class_id, session_id, body)))

    # -- staff: consultations ----------------------------------------------------------------

    @http("POST", "/api/staff/experts")
    def add_expert(self, request: Request) -> Response:
        self.staff.require(request, "admin")
        body = read_json(request, ps.ExpertRequest())
        return json_response(ps.Expert().dump(self.programs.add_expert(body)), status=201)

    @http("GET", "/api/staff/experts")
    def list_experts(self, request: Request) -> Response:
        self.staff.require(request, *CASE_ROLES)
        return json_response(ps.ExpertList().dump({"experts": self.programs.list_experts()}))

    @http("GET", "/api/staff/consultations", query=ps.ConsultationQuery)
    def search_consultations(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *CASE_ROLES)
        return json_response(ps.ConsultationPage().dump(
            self.programs.search_consultations(query)))

    @http("GET", "/api/staff/consultations/<consultation_id>")
    def consultation(self, request: Request, consultation_id: str) -> Response:
        self.staff.require(request, *CASE_ROLES)
        return json_response(ps.Consultation().dump(
            self.programs.consultation(consultation_id)))

    @http("POST", "/api/staff/consultations/<consultation_id>/assign")
    def assign_consultation(self, request: Request, consultation_id: str) -> Response:
        self.staff.require(request, *CASE_ROLES)
        body = read_json(request, ps.AssignRequest())
        return json_response(ps.Consultation().dump(
            self.programs.assign_consultation(consultation_id, body)))

    @http("POST", "/api/staff/consultations/<consultation_id>/status")
    def change_consultation_status(self, request: Request, consultation_id: str) -> Response:
        self.staff.require(request, *CASE_ROLES)
        body = read_json(request, ps.StatusRequest())
        return json_response(ps.Consultation().dump(
            self.programs.change_consultation_status(consultation_id, body)))

    @http("POST", "/api/staff/consultations/<consultation_id>/follow-ups")
    def add_follow_up(self, request: Request, consultation_id: str) -> Response:
        self.staff.require(request, *CASE_ROLES)
        body = read_json(request, ps.FollowUpRequest())
        return json_response(ps.FollowUp().dump(
            self.programs.add_follow_up(consultation_id, body)), status=201)

    @http("POST", "/api/staff/consultations/<consultation_id>/follow-ups/<follow_up_id>/done")
    def complete_follow_up(self, request: Request, consultation_id: str,
                           follow_up_id: str) -> Response:
        self.staff.require(request, *CASE_ROLES)
        return json_response(ps.FollowUp().dump(
            self.programs.complete_follow_up(consultation_id, follow_up_id)))

    @http("GET", "/api/staff/follow-ups", query=ps.FollowUpQuery)
    def due_follow_ups(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *CASE_ROLES)
        return json_response(ps.FollowUpList().dump(
            {"follow_ups": self.programs.due_follow_ups(query["until"])}))

    @http("GET", "/api/staff/consultations/<consultation_id>/notes")
    def case_notes(self, request: Request, consultation_id: str) -> Response:
        self.staff.require(request, *NOTE_ROLES)
        return json_response(ps.CaseNoteList().dump(
            {"notes": self.programs.case_notes(consultation_id)}))

    @http("POST", "/api/staff/consultations/<consultation_id>/notes")
    def add_case_note(self, request: Request, consultation_id: str) -> Response:
        self.staff.require(request, *NOTE_ROLES)
        body = read_json(request, ps.CaseNoteRequest())
        return json_response(ps.CaseNote().dump(
            self.programs.add_case_note(consultation_id, body)), status=201)


# -- OpenAPI -------------------------------------------------------------------------------------

def _problem(status: int, slug: str, title: str, detail: str) -> dict[str, Any]:
    return problem_response(detail, {"type": f"/problems/{slug}", "title": title,
                                     "status": status, "detail": detail})


def _path(*names: str) -> list[dict[str, Any]]:
    return [{"in": "path", "name": name, "required": True,
             "schema": {"type": "string", "format": "uuid"}} for name in names]


def _body(schema: type, example: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema,
                                                               "example": example}}}


STAFF_AUTH = [{"bearerAuth": []}]
UNAUTHORIZED = _problem(401, "unauthorized", "Unauthorized",
                        "staff routes need an Authorization: Bearer token")
FORBIDDEN = _problem(403, "forbidden", "Forbidden", "this needs the role admin or consultant")
NO_CLASS = _problem(404, "not-found", "Not found", "no such class")
NO_CASE = _problem(404, "not-found", "Not found", "no such consultation")
NO_ENROLLMENT = _problem(404, "not-found", "Not found", "no such enrollment")
BAD_LINK = _problem(400, "bad-signature", "Bad signature",
                    "this link has expired; ask the JII office for help")
CAPACITY_CONFLICT = _problem(409, "conflict", "Conflict", "7 children have a seat in this "
                             "class; the capacity cannot go below 7")
JSON_BODY_ERRORS = {"400": "InvalidInput", "413": "PayloadTooLarge",
                    "415": "UnsupportedMediaType"}
SERVER_ERRORS = {"500": "InternalError", "503": "ServiceUnavailable"}
STAFF_ERRORS = {"401": UNAUTHORIZED, "403": FORBIDDEN, **SERVER_ERRORS}


def _staff(operation_id: str, summary: str, responses: dict[str, Any], *,
           parameters: list[dict[str, Any]] | None = None,
           body: dict[str, Any] | None = None, tag: str = "staff") -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": operation_id, "tags": [tag], "summary": summary,
                                 "security": STAFF_AUTH,
                                 "responses": {**responses, **STAFF_ERRORS}}
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = body
        operation["responses"].update(JSON_BODY_ERRORS)
    return operation


TOKEN_PARAMETER = token_parameter("the link in the enrolment e-mail")
LINK_VIEW_EXAMPLE = {"class_title": "Hanamaru Class Shinjuku", "child_first_name": "Sita",
                     "status": "withdrawn"}
LINK_REFUSED_PAGE = "a page saying the link is not valid"
RETRY_PAGE = "a page asking to try again shortly"


def _query(name: str, schema: dict[str, Any], description: str | None = None,
           example: Any = None) -> dict[str, Any]:
    parameter = {"in": "query", "name": name, "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    if example is not None:
        parameter["example"] = example
    return parameter


ENROLLMENT_EXAMPLE = {
    "child_first_name": "Sita", "child_last_name": "Gurung", "child_age": 8,
    "languages": ["ne", "ja"], "guardian_name": "Maya Gurung",
    "guardian_email": "maya@example.org", "guardian_locale": "ne",
    "participation_consent": True, "photo_consent": False,
}

COMPONENTS = {
    "ProgramCatalog": ps.ProgramCatalog,
    "HanamaruClass": ps.HanamaruClass,
    "ClassList": ps.ClassList,
    "EnrollmentRequest": ps.EnrollmentRequest,
    "EnrollmentCreated": ps.EnrollmentCreated,
    "ClassRequest": ps.ClassRequest,
    "ClassRoster": ps.ClassRoster,
    "CapacityRequest": ps.CapacityRequest,
    "CapacityChanged": ps.CapacityChanged,
    "ClassUpdateRequest": ps.ClassUpdateRequest,
    "SessionCancelRequest": ps.SessionCancelRequest,
    "SessionCancelled": ps.SessionCancelled,
    "EnrollmentByLink": ps.EnrollmentByLink,
    "WithdrawRequest": ps.WithdrawRequest,
    "Withdrawn": ps.Withdrawn,
    "AttendanceRequest": ps.AttendanceRequest,
    "AttendanceRecorded": ps.AttendanceRecorded,
    "ConsultationRequest": ps.ConsultationRequest,
    "ConsultationCreated": ps.ConsultationCreated,
    "ExpertRequest": ps.ExpertRequest,
    "Expert": ps.Expert,
    "ExpertList": ps.ExpertList,
    "AssignRequest": ps.AssignRequest,
    "StatusRequest": ps.StatusRequest,
    "FollowUpRequest": ps.FollowUpRequest,
    "FollowUp": ps.FollowUp,
    "FollowUpList": ps.FollowUpList,
    "Consultation": ps.Consultation,
    "ConsultationSummary": ps.ConsultationSummary,
    "ConsultationPage": ps.ConsultationPage,
    "CaseNoteRequest": ps.CaseNoteRequest,
    "CaseNote": ps.CaseNote,
    "CaseNoteList": ps.CaseNoteList,
    "Impact": ps.Impact,
}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/programs", "get"): {
        "operationId": "listPrograms",
        "tags": ["programs"],
        "summary": "The four programs, described in the language asked for",
        "parameters": [{"in": "query", "name": "lang", "required": False,
                        "description": "BCP 47 tag; ja, en and ne are available, others fall "
                                       "back to en.", "schema": {"type": "string"},
                        "example": "ne"}, IF_NONE_MATCH],
        "responses": {"200": cached_ok("The catalog.", ps.ProgramCatalog),
                      "304": NOT_MODIFIED, "400": "InvalidQuery", **SERVER_ERRORS},
    },
    ("/api/classes", "get"): {
        "operationId": "listClasses",
        "tags": ["programs"],
        "summary": "Hanamaru classes open for sign-up, with seats left and waitlist length",
        "parameters": [IF_NONE_MATCH],
        "responses": {"200": cached_ok("Open classes.", ps.ClassList, revalidate=True),
                      "304": NOT_MODIFIED,
                      **SERVER_ERRORS},
    },
    ("/api/classes/{class_id}/enrollments", "post"): {
        "operationId": "enrollChild",
        "tags": ["programs"],
        "summary": "Sign a child up for a class: a seat if one is free, else the waitlist",
        "description": "Seats go first come, first served; when the class is full the child "
                       "waits in arrival order and is moved up automatically when a seat "
                       "frees. The same child cannot be signed up twice for a class.",
        "parameters": _path("class_id"),
        "requestBody": _body(ps.EnrollmentRequest, ENROLLMENT_EXAMPLE),
        "responses": {
            "201": ok("Confirmed, or waitlisted with its position.", ps.EnrollmentCreated,
                      {"id": "5e7c2b8a-1d4f-4e3a-9b6c-7a8d9e0f1a2b",
                       "class_id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
                       "status": "waitlisted", "position": 3}),
            **JSON_BODY_ERRORS, "404": NO_CLASS,
            "409": _problem(409, "conflict", "Conflict",
                            "this child is already enrolled in this class or on its waitlist"),
            **SERVER_ERRORS,
        },
    },
    ("/api/consultations", "post"): {
        "operationId": "openConsultation",
        "tags": ["programs"],
        "summary": "Ask the Daily Life Consultation Service for help",
        "requestBody": _body(ps.ConsultationRequest, {
            "topic": "residence_visa", "language": "ne", "urgency": "high",
            "summary": "My visa expires next month and my employer changed.",
            "name": "Ram Thapa", "email": "ram@example.org", "locale": "ne"}),
        "responses": {"201": ok("Received; an expert will be assigned.",
                                ps.ConsultationCreated,
                                {"id": "3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f",
                                 "status": "intake"}),
                      **JSON_BODY_ERRORS, **SERVER_ERRORS},
    },
    ("/api/class-enrollments/withdraw/{token}", "get"): {
        "operationId": "enrollmentByLink",
        "tags": ["programs"],
        "summary": "What a guardian's withdrawal link is about: class, child, status",
        "description": "The link in the enrolment e-mails (confirmed, waitlisted, promoted). "
                       "Changes nothing, since mail scanners fetch links. Shows the class title, "
                       "the child's first name and the enrolment's status, nothing more: as "
                       "JSON, or, to a client preferring text/html over JSON (the guardian's "
                       "browser), as a page saying what cancelling does with a button whose "
                       "form POSTs to the same URL (once withdrawn, a page saying so instead). "
                       + pages.HEADERS_NOTE,
        "parameters": [TOKEN_PARAMETER, pages.LANG_PARAMETER],
        "responses": {
            "200": pages.or_page(
                ok("The enrolment, as the guardian may see it.", ps.EnrollmentByLink,
                   {**LINK_VIEW_EXAMPLE, "status": "confirmed"}),
                "the confirmation page"),
            "400": pages.or_page(BAD_LINK, LINK_REFUSED_PAGE),
            "404": pages.or_page(NO_ENROLLMENT, LINK_REFUSED_PAGE),
            "500": "InternalError",
            "503": pages.or_page(PROBLEM_RESPONSES["ServiceUnavailable"], RETRY_PAGE),
        },
    },
    ("/api/class-enrollments/withdraw/{token}", "post"): {
        "operationId": "withdrawByLink",
        "tags": ["programs"],
        "summary": "Withdraw the child with the guardian's link; the first child waiting gets "
                   "the seat",
        "description": "The target of the confirmation page's form, and of the site. Repeating "
                       "it is harmless: a withdrawn enrolment answers the same. The body is not "
                       "read. Answers JSON unless the client prefers text/html over JSON (a "
                       "browser submitting the form), which gets a page saying it is done. "
                       + pages.HEADERS_NOTE,
        "parameters": [TOKEN_PARAMETER, pages.LANG_PARAMETER],
        "responses": {
            "200": pages.or_page(ok("Withdrawn.", ps.EnrollmentByLink, LINK_VIEW_EXAMPLE),
                                 "a page saying it is done"),
            "400": pages.or_page(BAD_LINK, LINK_REFUSED_PAGE),
            "404": pages.or_page(NO_ENROLLMENT, LINK_REFUSED_PAGE),
            "413": "PayloadTooLarge",
            "500": "InternalError",
            "503": pages.or_page(PROBLEM_RESPONSES["ServiceUnavailable"], RETRY_PAGE),
        },
    },
    ("/api/impact", "get"): {
        "operationId": "impact",
        "tags": ["programs"],
        "summary": "Public impact figures per month (Tokyo time) and over the range",
        "parameters": [
            {"in": "query", "name": "from", "required": False,
             "schema": {"type": "string", "pattern": MONTH_PATTERN}, "example": "2026-01"},
            {"in": "query", "name": "to", "required": False,
             "schema": {"type": "string", "pattern": MONTH_PATTERN}, "example": "2026-12"},
            IF_NONE_MATCH,
        ],
        "responses": {"200": cached_ok("The figures.", ps.Impact), "304": NOT_MODIFIED,
                      "400": "InvalidQuery", **SERVER_ERRORS},
    },
    ("/api/staff/classes", "post"): _staff(
        "createClass", "Create a Hanamaru class with its sessions (admin, staff)",
        {"201": ok("The class.", ps.ClassRoster)},
        body=_body(ps.ClassRequest, {
            "title": "Hanamaru Class Shinjuku", "venue": "Shinjuku Community Centre",
            "schedule": "Saturdays 10:00-11:30", "level": "hiragana beginners",
            "capacity": 10, "waitlist_limit": 20, "tutors": ["Suzuki Kei"],
            "sessions": [{"starts_at": "2026-05-09T10:00:00+09:00"}]})),
    ("/api/staff/classes/{class_id}", "get"): _staff(
        "classRoster", "A class with its children, confirmed and waiting in order",
        {"200": ok("The roster.", ps.ClassRoster), "404": NO_CLASS},
        parameters=_path("class_id")),
    ("/api/staff/classes/{class_id}/capacity", "post"): _staff(
        "changeClassCapacity", "Change a class's capacity (admin, staff); new seats go to the "
        "children waiting, first come first served",
        {"200": ok("The class after the change, with the enrolments promoted.",
                   ps.CapacityChanged),
         "404": NO_CLASS, "409": CAPACITY_CONFLICT},
        parameters=_path("class_id"),
        body=_body(ps.CapacityRequest, {"capacity": 12})),
    ("/api/staff/classes/{class_id}", "patch"): _staff(
        "updateClass", "Edit a class (admin, staff): title, venue, schedule, level, capacity; "
        "new seats go to the children waiting, first come first served",
        {"200": ok("The class after the change, with the enrolments promoted.",
                   ps.CapacityChanged),
         "404": NO_CLASS, "409": CAPACITY_CONFLICT},
        parameters=_path("class_id"),
        body=_body(ps.ClassUpdateRequest, {"schedule": "Sundays 14:00-15:30", "capacity": 12})),
    ("/api/staff/classes/{class_id}/sessions/{session_id}/cancel", "post"): _staff(
        "cancelSession", "Call a session off before it begins (admin, staff); each family with "
        "a seat is told by e-mail in their language (`class_session_cancelled`). Again: the "
        "same answer, nobody told twice",
        {"200": ok("The session, cancelled.", ps.SessionCancelled), "404": NO_CLASS,
         "409": _problem(409, "conflict", "Conflict", "the session has already begun")},
        parameters=_path("class_id", "session_id"),
        body=_body(ps.SessionCancelRequest, {"reason": "venue_unavailable",
                                             "note": "the hall was booked twice"})),
    ("/api/staff/classes/{class_id}/enrollments/{enrollment_id}/withdraw", "post"): _staff(
        "withdrawEnrollment", "Withdraw a child; the first child waiting gets the seat",
        {"200": ok("Withdrawn.", ps.Withdrawn), "404": NO_CLASS},
        parameters=_path("class_id", "enrollment_id"),
        body=_body(ps.WithdrawRequest, {"reason": "family moved to Osaka"})),
    ("/api/staff/classes/{class_id}/sessions/{session_id}/attendance", "post"): _staff(
        "recordAttendance", "Record who came to a session (again to correct it); from the "
        "session's day on, in Tokyo (400 naming `session` before)",
        {"200": ok("The session, held.", ps.AttendanceRecorded), "404": NO_CLASS},
        parameters=_path("class_id", "session_id"),
        body=_body(ps.AttendanceRequest, {"present": ["5e7c2b8a-1d4f-4e3a-9b6c-7a8d9e0f1a2b"]})),
    ("/api/staff/experts", "post"): _staff(
        "addExpert", "Add an expert with specialties and languages (admin)",
        {"201": ok("The expert.", ps.Expert)},
        body=_body(ps.ExpertRequest, {
            "name": "Kobayashi Aya", "email": "aya@example.org", "locale": "ja",
            "profession": "administrative_scrivener", "specialties": ["residence_visa"],
            "languages": ["ja", "en"]})),
    ("/api/staff/experts", "get"): _staff(
        "listExperts", "Experts with their open cases", {"200": ok("Experts.", ps.ExpertList)}),
    ("/api/staff/consultations", "get"): _staff(
        "searchConsultations", "Search consultations, newest first (admin, staff, consultant)",
        {"200": ok("One page of cases (never their notes) and the next page's cursor.",
                   ps.ConsultationPage),
         "400": "InvalidQuery"},
        parameters=[
            _query("status", {"type": "string", "enum": [
                "intake", "assigned", "in_progress", "resolved", "referred", "closed"]}),
            _query("topic", {"type": "string", "enum": list(TOPICS)}),
            _query("urgency", {"type": "string", "enum": list(URGENCIES)}),
            _query("expert_id", {"type": "string", "format": "uuid"}),
            _query("language", {"type": "string", "pattern": ps.LANGUAGE_TAG},
                   "The language the consultation is held in; a regional tag counts as its "
                   "language.", "ne"),
            _query("opened_from", {"type": "string", "format": "date"},
                   "First day (Tokyo) the case was opened on, inclusive."),
            _query("opened_to", {"type": "string", "format": "date"},
                   "Last day (Tokyo), inclusive."),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}),
            _query("after", {"type": "string", "pattern": CURSOR_PATTERN,
                             "maxLength": 200},
                   "The `next` cursor of the previous page."),
        ]),
    ("/api/staff/consultations/{consultation_id}", "get"): _staff(
        "consultation", "A consultation with its history and follow-ups (no case notes)",
        {"200": ok("The consultation.", ps.Consultation), "404": NO_CASE},
        parameters=_path("consultation_id")),
    ("/api/staff/consultations/{consultation_id}/assign", "post"): _staff(
        "assignConsultation", "Assign an expert by specialty and language (or the one given)",
        {"200": ok("The consultation.", ps.Consultation), "404": NO_CASE, "409": "Conflict"},
        parameters=_path("consultation_id"), body=_body(ps.AssignRequest, {})),
    ("/api/staff/consultations/{consultation_id}/status", "post"): _staff(
        "changeConsultationStatus", "Move a consultation on: in_progress, then resolved, "
        "referred or closed",
        {"200": ok("The consultation.", ps.Consultation), "404": NO_CASE, "409": "Conflict"},
        parameters=_path("consultation_id"),
        body=_body(ps.StatusRequest, {"status": "resolved", "note": "visa renewed"})),
    ("/api/staff/consultations/{consultation_id}/follow-ups", "post"): _staff(
        "addFollowUp", "Add a follow-up with a due date",
        {"201": ok("The follow-up.", ps.FollowUp), "404": NO_CASE, "409": "Conflict"},
        parameters=_path("consultation_id"),
        body=_body(ps.FollowUpRequest, {"due_on": "2026-05-20",
                                        "what": "Check the immigration bureau's answer"})),
    ("/api/staff/consultations/{consultation_id}/follow-ups/{follow_up_id}/done", "post"):
        _staff("completeFollowUp", "Mark a follow-up done",
               {"200": ok("The follow-up.", ps.FollowUp), "404": NO_CASE},
               parameters=_path("consultation_id", "follow_up_id")),
    ("/api/staff/follow-ups", "get"): _staff(
        "dueFollowUps", "Open follow-ups due by a date (default today)",
        {"200": ok("Follow-ups, soonest first.", ps.FollowUpList), "400": "InvalidQuery"},
        parameters=[{"in": "query", "name": "until", "required": False,
                     "schema": {"type": "string", "format": "date"}}]),
    ("/api/staff/consultations/{consultation_id}/notes", "get"): _staff(
        "caseNotes", "Confidential case notes (consultant, admin)",
        {"200": ok("Notes, oldest first.", ps.CaseNoteList), "404": NO_CASE},
        parameters=_path("consultation_id")),
    ("/api/staff/consultations/{consultation_id}/notes", "post"): _staff(
        "addCaseNote", "Add a confidential case note (consultant, admin)",
        {"201": ok("The note.", ps.CaseNote), "404": NO_CASE},
        parameters=_path("consultation_id"),
        body=_body(ps.CaseNoteRequest, {"body": "Called the employer; documents on the way."})),
}
