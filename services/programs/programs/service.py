"""The programs service's entrypoints: the catalog, Hanamaru classes, consultations and the
impact ledger.

Entrypoints stay thin: each serves an operation declared in `api.programs`, whose schemas
load the request and whose roles are checked here (`serves`) as well as in the gateway, so that
no other RPC caller reaches staff operations or case notes by accident. They open the one
transaction of the unit of work and hand it to the domain modules beside this one.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import psycopg
from api import programs as api
from api.serving import serves
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

    @serves(api.LIST_PROGRAMS)
    def program_catalog(self, query: dict[str, Any]) -> dict[str, Any]:
        return catalog.catalog(query.get("lang"))

    # -- Hanamaru classes --------------------------------------------------------------------

    @serves(api.LIST_CLASSES)
    def list_classes(self) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return {"classes": classes.open_classes(conn)}

    @serves(api.CREATE_CLASS)
    def create_class(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            created = classes.create_class(conn, body, self._actor())
        self.log.info("class created", class_id=created["id"], capacity=created["capacity"])
        return created

    @serves(api.ENROLL_CHILD)
    def enroll_child(self, class_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            result = classes.enroll(conn, self.outbox, _uuid_or_404(class_id, "class"), body,
                                    self._withdraw_url())
        self.log.info("child enrolled", class_id=result["class_id"], enrollment_id=result["id"],
                      status=result["status"])
        return result

    @serves(api.CLASS_ROSTER)
    def class_roster(self, class_id: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return classes.roster(conn, _uuid_or_404(class_id, "class"))

    @serves(api.WITHDRAW_ENROLLMENT)
    def withdraw_enrollment(self, class_id: str, enrollment_id: str,
                            body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            result = classes.withdraw(conn, self.outbox, _uuid_or_404(class_id, "class"),
                                      _uuid_or_404(enrollment_id, "enrollment"), body["reason"],
                                      self._withdraw_url())
        self.log.info("enrolment withdrawn", enrollment_id=result["id"],
                      promoted=result["promoted"])
        return result

    @serves(api.CHANGE_CLASS_CAPACITY)
    def change_class_capacity(self, class_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            result = classes.change_capacity(conn, self.outbox, _uuid_or_404(class_id, "class"),
                                             body["capacity"], self._withdraw_url())
        self.log.info("class capacity changed", class_id=result["id"],
                      capacity=result["capacity"], promoted=len(result["promoted"]))
        return result

    @serves(api.UPDATE_CLASS)
    def update_class(self, class_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            result = classes.update_class(conn, self.outbox, _uuid_or_404(class_id, "class"),
                                          body, self._withdraw_url())
        self.log.info("class updated", class_id=result["id"], fields=sorted(body),
                      promoted=len(result["promoted"]))
        return result

    @serves(api.CANCEL_SESSION)
    def cancel_session(self, class_id: str, session_id: str,
                       body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            result = classes.cancel_session(
                conn, self.outbox, _uuid_or_404(class_id, "class"),
                _uuid_or_404(session_id, "session"), body, self._actor(), self.clock())
        self.log.info("class session cancelled", session_id=result["id"],
                      reason=result["cancel_reason"], families=result["families_told"])
        return result

    # The guardian's self-service link: whoever holds it may see and withdraw that one
    # enrolment. No role: the signature is the authority. Hand-written at the gateway (it
    # answers pages to browsers), so plain RPCs here.

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

    @serves(api.RECORD_ATTENDANCE)
    def record_attendance(self, class_id: str, session_id: str,
                          body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            result = classes.record_attendance(
                conn, self.outbox, _uuid_or_404(class_id, "class"),
                _uuid_or_404(session_id, "session"), [str(p) for p in body["present"]],
                self.clock())
        self.log.info("attendance recorded", session_id=result["session_id"],
                      attended=result["attended"], revision=result["revision"])
        return result

    # -- consultations -----------------------------------------------------------------------

    @serves(api.OPEN_CONSULTATION)
    def open_consultation(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            result = consultations.open_case(conn, self.outbox, body)
        self.log.info("consultation opened", consultation_id=result["id"], topic=body["topic"])
        return result

    @serves(api.ADD_EXPERT)
    def add_expert(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return consultations.add_expert(conn, body)

    @serves(api.LIST_EXPERTS)
    def list_experts(self) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return {"experts": consultations.experts(conn)}

    @serves(api.SEARCH_CONSULTATIONS)
    def search_consultations(self, query: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return consultation_search.search(conn, query, query["limit"], query.get("after"))

    @serves(api.CONSULTATION)
    def consultation(self, consultation_id: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return consultations.view(conn, _uuid_or_404(consultation_id, "consultation"))

    @serves(api.ASSIGN_CONSULTATION)
    def assign_consultation(self, consultation_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            result = consultations.assign(
                conn, self.outbox, _uuid_or_404(consultation_id, "consultation"),
                body["expert_id"], self._actor())
        self.log.info("consultation assigned", consultation_id=result["id"],
                      expert_id=result["expert"]["id"])
        return result

    @serves(api.CHANGE_CONSULTATION_STATUS)
    def change_consultation_status(self, consultation_id: str,
                                   body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            result = consultations.change_status(
                conn, self.outbox, _uuid_or_404(consultation_id, "consultation"),
                body["status"], body["note"], self._actor())
        self.log.info("consultation status changed", consultation_id=result["id"],
                      status=result["status"])
        return result

    @serves(api.ADD_FOLLOW_UP)
    def add_follow_up(self, consultation_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return consultations.add_follow_up(
                conn, _uuid_or_404(consultation_id, "consultation"), body["due_on"],
                body["what"], self._actor())

    @serves(api.COMPLETE_FOLLOW_UP)
    def complete_follow_up(self, consultation_id: str, follow_up_id: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return consultations.complete_follow_up(
                conn, _uuid_or_404(consultation_id, "consultation"),
                _uuid_or_404(follow_up_id, "follow-up"))

    @serves(api.DUE_FOLLOW_UPS)
    def due_follow_ups(self, query: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return {"follow_ups": consultations.due_follow_ups(
                conn, query.get("until") or date.today())}

    @serves(api.ADD_CASE_NOTE)
    def add_case_note(self, consultation_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            note = consultations.add_note(
                conn, _uuid_or_404(consultation_id, "consultation"), body["body"],
                self._actor())
        self.log.info("case note added", consultation_id=note["consultation_id"])
        return note

    @serves(api.CASE_NOTES)
    def case_notes(self, consultation_id: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return {"notes": consultations.notes(
                conn, _uuid_or_404(consultation_id, "consultation"))}

    # -- impact ledger -----------------------------------------------------------------------

    @serves(api.IMPACT)
    def impact_figures(self, query: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return impact.figures(conn, query.get("from_"), query.get("to"))

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

    def _actor(self) -> str:
        """Who did it, as the records name them; the role was checked by `serves`."""
        return f"{self.caller['role']}:{self.caller['subject']}"


def _uuid_or_404(value: Any, what: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise errors.NotFound(f"no such {what}") from None
