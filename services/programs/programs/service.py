"""The programs service's entrypoints: the catalog, Hanamaru classes, consultations and the
impact ledger.

Entrypoints stay thin: they validate (`schemas`), check the caller's role, open the one
transaction of the unit of work and hand it to the domain modules beside this one. Roles are
checked here as well as in the gateway, so that no other RPC caller reaches staff operations
or case notes by accident.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import psycopg
from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from servicekit import errors, health
from servicekit.caller import Caller
from servicekit.clock import Clock
from servicekit.db import Database
from servicekit.events import Envelope, Outbox, OutboxRelay, consume_event
from servicekit.logging import LogContext
from servicekit.rpc import rpc
from servicekit.timers import every

from programs import catalog, classes, consultation_search, consultations, impact
from programs.links import EnrollmentLinks, LinkInvalid, WithdrawUrl, no_link
from programs.schemas import (
    AssignRequest,
    AttendanceRequest,
    CapacityRequest,
    CaseNoteRequest,
    ClassRequest,
    ClassUpdateRequest,
    ConsultationQuery,
    ConsultationRequest,
    EnrollmentRequest,
    ExpertRequest,
    FollowUpRequest,
    ImpactQuery,
    SessionCancelRequest,
    StatusRequest,
    WithdrawRequest,
    load,
)

CLASS_ROLES = ("admin", "staff")
CASE_ROLES = ("admin", "staff", "consultant")
# Case notes are confidential: staff who run the office do not read them.
NOTE_ROLES = ("admin", "consultant")
DEFAULT_IMPACT_INTERVAL_SECONDS = 3600.0
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
INVALID_LINK = "this link is not valid"


class Links(DependencyProvider):
    """Guardians' signed withdrawal links; None when no secret is configured, and then events
    go out without a link and no token is accepted (none can have been issued)."""

    def setup(self) -> None:
        config = self.container.config
        secret = config.get("ENROLLMENT_LINK_SECRET")
        self.links = EnrollmentLinks(
            str(secret), str(config.get("PUBLIC_SITE_URL") or DEFAULT_SITE_URL),
        ) if secret else None

    def get_dependency(self, worker_ctx) -> EnrollmentLinks | None:
        return self.links


class ProgramsService(health.Ping):
    name = "programs"

    db = Database()
    outbox = Outbox()
    relay = OutboxRelay()
    log = LogContext()
    config = Config()
    caller = Caller()
    links = Links()
    clock = Clock()

    # -- catalog -----------------------------------------------------------------------------

    @rpc
    def program_catalog(self, lang: str | None = None) -> dict:
        if lang is not None and not isinstance(lang, str):
            raise errors.InvalidInput("lang must be a language tag", {"lang": ["not valid"]})
        return catalog.catalog(lang)

    # -- Hanamaru classes --------------------------------------------------------------------

    @rpc
    def list_classes(self) -> list[dict]:
        with self.db.transaction() as conn:
            return classes.open_classes(conn)

    @rpc
    def create_class(self, request: dict) -> dict:
        actor = self._require(CLASS_ROLES)
        data = load(ClassRequest(), request, "the class is not valid")
        with self.db.transaction() as conn:
            created = classes.create_class(conn, data, actor)
        self.log.info("class created", class_id=created["id"], capacity=created["capacity"])
        return created

    @rpc
    def enroll_child(self, class_id: str, request: dict) -> dict:
        data = load(EnrollmentRequest(), request, "the enrolment is not valid")
        with self.db.transaction() as conn:
            result = classes.enroll(conn, self.outbox, _uuid_or_404(class_id, "class"), data,
                                    self._withdraw_url())
        self.log.info("child enrolled", class_id=result["class_id"], enrollment_id=result["id"],
                      status=result["status"])
        return result

    @rpc
    def class_roster(self, class_id: str) -> dict:
        self._require(CLASS_ROLES)
        with self.db.transaction() as conn:
            return classes.roster(conn, _uuid_or_404(class_id, "class"))

    @rpc
    def withdraw_enrollment(self, class_id: str, enrollment_id: str, request: dict) -> dict:
        self._require(CLASS_ROLES)
        data = load(WithdrawRequest(), request, "the withdrawal is not valid")
        with self.db.transaction() as conn:
            result = classes.withdraw(conn, self.outbox, _uuid_or_404(class_id, "class"),
                                      _uuid_or_404(enrollment_id, "enrollment"), data["reason"],
                                      self._withdraw_url())
        self.log.info("enrolment withdrawn", enrollment_id=result["id"],
                      promoted=result["promoted"])
        return result

    @rpc
    def change_class_capacity(self, class_id: str, request: dict) -> dict:
        self._require(CLASS_ROLES)
        data = load(CapacityRequest(), request, "the capacity is not valid")
        with self.db.transaction() as conn:
            result = classes.change_capacity(conn, self.outbox, _uuid_or_404(class_id, "class"),
                                             data["capacity"], self._withdraw_url())
        self.log.info("class capacity changed", class_id=result["id"],
                      capacity=result["capacity"], promoted=len(result["promoted"]))
        return result

    @rpc
    def update_class(self, class_id: str, request: dict) -> dict:
        self._require(CLASS_ROLES)
        data = load(ClassUpdateRequest(), request, "the class change is not valid")
        with self.db.transaction() as conn:
            result = classes.update_class(conn, self.outbox, _uuid_or_404(class_id, "class"),
                                          data, self._withdraw_url())
        self.log.info("class updated", class_id=result["id"], fields=sorted(data),
                      promoted=len(result["promoted"]))
        return result

    @rpc
    def cancel_session(self, class_id: str, session_id: str, request: dict) -> dict:
        actor = self._require(CLASS_ROLES)
        data = load(SessionCancelRequest(), request, "the cancellation is not valid")
        with self.db.transaction() as conn:
            result = classes.cancel_session(
                conn, self.outbox, _uuid_or_404(class_id, "class"),
                _uuid_or_404(session_id, "session"), data, actor, self.clock())
        self.log.info("class session cancelled", session_id=result["id"],
                      reason=result["cancel_reason"], families=result["families_told"])
        return result

    # The guardian's self-service link: whoever holds it may see and withdraw that one
    # enrolment. No role: the signature is the authority.

    @rpc
    def enrollment_by_link(self, token: str) -> dict:
        enrollment_id = self._enrollment_of(token)
        with self.db.transaction() as conn:
            return classes.guardian_view(conn, enrollment_id)

    @rpc
    def withdraw_by_link(self, token: str) -> dict:
        enrollment_id = self._enrollment_of(token)
        with self.db.transaction() as conn:
            result = classes.withdraw_by_guardian(conn, self.outbox, enrollment_id,
                                                  self._withdraw_url())
            view = classes.guardian_view(conn, enrollment_id)
        self.log.info("enrolment withdrawn by link", enrollment_id=enrollment_id,
                      promoted=result["promoted"])
        return view

    @rpc
    def record_attendance(self, class_id: str, session_id: str, request: dict) -> dict:
        self._require(CLASS_ROLES)
        data = load(AttendanceRequest(), request, "the attendance is not valid")
        with self.db.transaction() as conn:
            result = classes.record_attendance(
                conn, self.outbox, _uuid_or_404(class_id, "class"),
                _uuid_or_404(session_id, "session"), [str(p) for p in data["present"]],
                self.clock())
        self.log.info("attendance recorded", session_id=result["session_id"],
                      attended=result["attended"], revision=result["revision"])
        return result

    # -- consultations -----------------------------------------------------------------------

    @rpc
    def open_consultation(self, request: dict) -> dict:
        data = load(ConsultationRequest(), request, "the consultation request is not valid")
        with self.db.transaction() as conn:
            result = consultations.open_case(conn, self.outbox, data)
        self.log.info("consultation opened", consultation_id=result["id"], topic=data["topic"])
        return result

    @rpc
    def add_expert(self, request: dict) -> dict:
        self._require(("admin",))
        data = load(ExpertRequest(), request, "the expert is not valid")
        with self.db.transaction() as conn:
            return consultations.add_expert(conn, data)

    @rpc
    def list_experts(self) -> list[dict]:
        self._require(CASE_ROLES)
        with self.db.transaction() as conn:
            return consultations.experts(conn)

    @rpc
    def search_consultations(self, query: dict | None = None) -> dict:
        self._require(CASE_ROLES)
        data = load(ConsultationQuery(), query or {}, "the search is not valid")
        with self.db.transaction() as conn:
            return consultation_search.search(conn, data, data["limit"], data["after"])

    @rpc
    def consultation(self, consultation_id: str) -> dict:
        self._require(CASE_ROLES)
        with self.db.transaction() as conn:
            return consultations.view(conn, _uuid_or_404(consultation_id, "consultation"))

    @rpc
    def assign_consultation(self, consultation_id: str, request: dict) -> dict:
        actor = self._require(CASE_ROLES)
        data = load(AssignRequest(), request, "the assignment is not valid")
        with self.db.transaction() as conn:
            result = consultations.assign(
                conn, self.outbox, _uuid_or_404(consultation_id, "consultation"),
                data["expert_id"], actor)
        self.log.info("consultation assigned", consultation_id=result["id"],
                      expert_id=result["expert"]["id"])
        return result

    @rpc
    def change_consultation_status(self, consultation_id: str, request: dict) -> dict:
        actor = self._require(CASE_ROLES)
        data = load(StatusRequest(), request, "the status change is not valid")
        with self.db.transaction() as conn:
            result = consultations.change_status(
                conn, self.outbox, _uuid_or_404(consultation_id, "consultation"),
                data["status"], data["note"], actor)
        self.log.info("consultation status changed", consultation_id=result["id"],
                      status=result["status"])
        return result

    @rpc
    def add_follow_up(self, consultation_id: str, request: dict) -> dict:
        actor = self._require(CASE_ROLES)
        data = load(FollowUpRequest(), request, "the follow-up is not valid")
        with self.db.transaction() as conn:
            return consultations.add_follow_up(
                conn, _uuid_or_404(consultation_id, "consultation"), data["due_on"],
                data["what"], actor)

    @rpc
    def complete_follow_up(self, consultation_id: str, follow_up_id: str) -> dict:
        self._require(CASE_ROLES)
        with self.db.transaction() as conn:
            return consultations.complete_follow_up(
                conn, _uuid_or_404(consultation_id, "consultation"),
                _uuid_or_404(follow_up_id, "follow-up"))

    @rpc
    def due_follow_ups(self, until: str | None = None) -> list[dict]:
        self._require(CASE_ROLES)
        try:
            day = date.fromisoformat(until) if until else date.today()
        except (TypeError, ValueError):
            raise errors.InvalidInput("until must be a date", {"until": ["not a date"]}) from None
        with self.db.transaction() as conn:
            return consultations.due_follow_ups(conn, day)

    @rpc
    def add_case_note(self, consultation_id: str, request: dict) -> dict:
        actor = self._require(NOTE_ROLES)
        data = load(CaseNoteRequest(), request, "the note is not valid")
        with self.db.transaction() as conn:
            note = consultations.add_note(
                conn, _uuid_or_404(consultation_id, "consultation"), data["body"], actor)
        self.log.info("case note added", consultation_id=note["consultation_id"])
        return note

    @rpc
    def case_notes(self, consultation_id: str) -> list[dict]:
        self._require(NOTE_ROLES)
        with self.db.transaction() as conn:
            return consultations.notes(conn, _uuid_or_404(consultation_id, "consultation"))

    # -- impact ledger -----------------------------------------------------------------------

    @rpc
    def impact_figures(self, query: dict | None = None) -> dict:
        data = load(ImpactQuery(), query or {}, "the impact query is not valid")
        with self.db.transaction() as conn:
            return impact.figures(conn, data["from_"], data["to"])

    @every("IMPACT_TICK_SECONDS", 5.0)
    def publish_impact(self) -> None:
        interval = float(self.config.get("IMPACT_UPDATE_INTERVAL_SECONDS",
                                         DEFAULT_IMPACT_INTERVAL_SECONDS))
        with self.db.transaction() as conn:
            emitted = impact.publish_due(conn, self.outbox, interval)
        if emitted:
            self.log.info("impact updated", months=emitted)

    # Each event is applied to the ledger once: consume_event runs the handler in the
    # transaction that records the event in the inbox.

    @consume_event("donations", "payment_succeeded")
    def count_payment(self, event: Envelope, conn: psycopg.Connection) -> None:
        impact.record(conn, event.source, event.type, event.data)

    @consume_event("donations", "payment_refunded")
    def count_refund(self, event: Envelope, conn: psycopg.Connection) -> None:
        impact.record(conn, event.source, event.type, event.data)

    @consume_event("donations", "payment_voided")
    def count_void(self, event: Envelope, conn: psycopg.Connection) -> None:
        impact.record(conn, event.source, event.type, event.data)

    @consume_event("matching", "pairing_started")
    def count_pairing_started(self, event: Envelope, conn: psycopg.Connection) -> None:
        impact.record(conn, event.source, event.type, event.data)

    @consume_event("matching", "pairing_completed")
    def count_pairing_completed(self, event: Envelope, conn: psycopg.Connection) -> None:
        impact.record(conn, event.source, event.type, event.data)

    @consume_event("matching", "spot_request_completed")
    def count_spot_request(self, event: Envelope, conn: psycopg.Connection) -> None:
        impact.record(conn, event.source, event.type, event.data)

    @consume_event("programs", "class_enrollment_confirmed")
    def count_enrollment(self, event: Envelope, conn: psycopg.Connection) -> None:
        impact.record(conn, event.source, event.type, event.data)

    @consume_event("programs", "class_enrollment_promoted")
    def count_promotion(self, event: Envelope, conn: psycopg.Connection) -> None:
        impact.record(conn, event.source, event.type, event.data)

    @consume_event("programs", "class_session_held")
    def count_session(self, event: Envelope, conn: psycopg.Connection) -> None:
        impact.record(conn, event.source, event.type, event.data)

    @consume_event("programs", "consultation_opened")
    def count_consultation_opened(self, event: Envelope, conn: psycopg.Connection) -> None:
        impact.record(conn, event.source, event.type, event.data)

    @consume_event("programs", "consultation_resolved")
    def count_consultation_ended(self, event: Envelope, conn: psycopg.Connection) -> None:
        impact.record(conn, event.source, event.type, event.data)

    # -- helpers -----------------------------------------------------------------------------

    def _withdraw_url(self) -> WithdrawUrl:
        return self.links.withdraw_url if self.links else no_link

    def _enrollment_of(self, token: Any) -> str:
        if self.links is None or not isinstance(token, str):
            raise errors.BadSignature(INVALID_LINK)
        try:
            enrollment_id = self.links.enrollment_of(token)
        except LinkInvalid as exc:
            raise errors.BadSignature(str(exc)) from None
        return _uuid_or_404(enrollment_id, "enrollment")

    def _require(self, roles: tuple[str, ...]) -> str:
        if self.caller["role"] not in roles:
            raise errors.Forbidden(f"this needs the role {' or '.join(roles)}")
        return f"{self.caller['role']}:{self.caller['subject']}"


def _uuid_or_404(value: Any, what: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise errors.NotFound(f"no such {what}") from None
