"""The matching service's entrypoints: thin, each one validated request → one transaction of
plain domain code (participants, departures, pairings, runs, spot, listings, reports) with its
events. The staff lists return personal data: it is never logged here."""

from __future__ import annotations

from typing import Any

from nameko.dependency_providers import Config
from servicekit import errors, health
from servicekit.caller import Caller
from servicekit.db import Database
from servicekit.events import Outbox, OutboxRelay
from servicekit.logging import LogContext
from servicekit.rpc import rpc
from servicekit.timers import every

from matching import departures, listings, pairings, participants, reports, runs, schemas, spot
from matching.clock import Clock
from matching.profiles import area_choices
from matching.scoring import Settings

ROLES = ("resident", "partner", "volunteer")


class MatchingService(health.Ping):
    name = "matching"

    db = Database()
    outbox = Outbox()
    relay = OutboxRelay()
    log = LogContext()
    config = Config()
    clock = Clock()
    caller = Caller()

    # -- participants ---------------------------------------------------------------------

    @rpc
    def list_areas(self) -> dict:
        """The areas applications and Spot requests may name, for the public forms."""
        return {"areas": area_choices()}

    @rpc
    def apply(self, role: str, request: dict) -> dict:
        if role not in ROLES:
            raise errors.NotFound(f"no application for {role!r}")
        data = schemas.load(schemas.Application(), request, "application")
        with self.db.transaction() as conn:
            participant_id = participants.apply(conn, self.outbox, role, data, self.clock())
        self.log.info("application received", participant_id=participant_id, role=role)
        return {"id": participant_id, "role": role, "status": "applied"}

    @rpc
    def approve_participant(self, participant_id: str, request: dict | None = None) -> dict:
        data = schemas.load(schemas.Approval(), request or {}, "approval")
        with self.db.transaction() as conn:
            return participants.approve(conn, self.outbox, participant_id, self.clock(),
                                        data.get("capacity"))

    @rpc
    def reject_participant(self, participant_id: str, request: dict) -> dict:
        data = schemas.load(schemas.Rejection(), request, "rejection")
        with self.db.transaction() as conn:
            result = departures.reject(conn, self.outbox, participant_id, data, self.clock())
        self.log.info("participant rejected", participant_id=result["id"],
                      reason=data["reason"])
        return result

    @rpc
    def withdraw_participant(self, participant_id: str, request: dict) -> dict:
        data = schemas.load(schemas.Withdrawal(), request, "withdrawal")
        with self.db.transaction() as conn:
            result = departures.withdraw(conn, self.outbox, participant_id, data, self.clock())
        self.log.info("participant withdrawn", participant_id=result["id"],
                      reason=data["reason"], cancelled=len(result["cancelled_pairings"]))
        return result

    @rpc
    def list_participants(self, request: dict) -> dict:
        query = schemas.load(schemas.ParticipantQuery(), request, "participant query")
        with self.db.transaction() as conn:
            return listings.participants(conn, query)

    @rpc
    def get_participant(self, participant_id: str) -> dict:
        participant_id = schemas.identifier(participant_id, "participant_id")
        with self.db.transaction() as conn:
            return listings.participant(conn, participant_id, self.clock())

    # -- Family Friend pairings -----------------------------------------------------------

    @rpc
    def run_matching(self) -> dict:
        settings = Settings.from_config(self.config)
        with self.db.transaction() as conn:
            run = pairings.run_batch(conn, self.outbox, settings, self.clock(),
                                     self.caller["subject"])
        self.log.info("matching run", run_id=run["run_id"], residents=run["residents"],
                      partners=run["partners"], proposals=len(run["proposals"]),
                      **run["timings"])
        return run

    @rpc
    def get_run(self, run_id: str) -> dict:
        with self.db.transaction() as conn:
            return runs.get(conn, run_id)

    @rpc
    def list_runs(self, request: dict) -> dict:
        query = schemas.load(schemas.Page(), request, "run query")
        with self.db.transaction() as conn:
            return runs.recent(conn, query)

    @rpc
    def list_pairings(self, request: dict) -> dict:
        query = schemas.load(schemas.PairingQuery(), request, "pairing query")
        with self.db.transaction() as conn:
            return listings.pairings(conn, query)

    @rpc
    def get_pairing(self, pairing_id: str) -> dict:
        with self.db.transaction() as conn:
            return pairings.get(conn, pairing_id)

    @rpc
    def approve_pairing(self, pairing_id: str) -> dict:
        with self.db.transaction() as conn:
            return pairings.approve(conn, self.outbox, pairing_id, self.clock(),
                                    self._link_secret(), self.config["PUBLIC_SITE_URL"])

    @rpc
    def respond_to_pairing(self, request: dict) -> dict:
        data = schemas.load(schemas.Response(), request, "response")
        with self.db.transaction() as conn:
            result = pairings.respond(conn, self.outbox, data["token"], data["answer"],
                                      self.clock(), self._link_secret(),
                                      share_contact=data["share_contact"])
        return {"id": result["id"], "state": result["state"]}

    @rpc
    def log_checkin(self, pairing_id: str, request: dict) -> dict:
        data = schemas.load(schemas.Checkin(), request, "check-in")
        with self.db.transaction() as conn:
            return pairings.log_checkin(conn, self.outbox, pairing_id, data, self.clock(),
                                        self.caller["subject"])

    @rpc
    def close_pairing(self, pairing_id: str, request: dict) -> dict:
        data = schemas.load(schemas.Closing(), request, "closing")
        with self.db.transaction() as conn:
            return pairings.close_early(conn, self.outbox, pairing_id, data["reason"],
                                        data.get("note"), self.clock())

    @every("MATCHING_TICK_SECONDS", 60)
    def advance_pairings(self) -> dict:
        """Offer expiry, inactivity, ending-soon notices and completion, as the clock says."""
        with self.db.transaction() as conn:
            done = pairings.tick(conn, self.outbox, self.clock())
        if any(done.values()):
            self.log.info("pairings advanced", **done)
        return done

    # -- Spot Otonari-san -----------------------------------------------------------------

    @rpc
    def create_spot_request(self, request: dict) -> dict:
        data = schemas.load(schemas.SpotRequest(), request, "spot request")
        with self.db.transaction() as conn:
            return spot.create(conn, self.outbox, data, self.clock())

    @rpc
    def list_spot_requests(self, request: dict) -> dict:
        query = schemas.load(schemas.SpotRequestQuery(), request, "spot request query")
        with self.db.transaction() as conn:
            return listings.spot_requests(conn, query)

    @rpc
    def spot_candidates(self, request_id: str) -> dict:
        with self.db.transaction() as conn:
            ranked = spot.candidates(conn, request_id, Settings.from_config(self.config),
                                     self.clock())
        return {"spot_request_id": request_id, "candidates": ranked}

    @rpc
    def accept_spot_request(self, request_id: str, request: dict) -> dict:
        data = schemas.load(schemas.SpotAssignment(), request, "assignment")
        with self.db.transaction() as conn:
            return spot.accept(conn, self.outbox, request_id, str(data["volunteer_id"]),
                               self.clock())

    @rpc
    def reassign_spot_request(self, request_id: str, request: dict) -> dict:
        data = schemas.load(schemas.SpotReassignment(), request, "reassignment")
        with self.db.transaction() as conn:
            result = spot.reassign(conn, self.outbox, request_id, data, self.clock(),
                                   self.caller["subject"])
        self.log.info("spot request reassigned", spot_request_id=result["id"],
                      volunteer_id=result["volunteer_id"], reason=data["reason"])
        return result

    @rpc
    def complete_spot_request(self, request_id: str, request: dict) -> dict:
        data = schemas.load(schemas.SpotCompletion(), request, "completion")
        with self.db.transaction() as conn:
            return spot.complete(conn, self.outbox, request_id, data["hours"], self.clock())

    @rpc
    def cancel_spot_request(self, request_id: str, request: dict) -> dict:
        data = schemas.load(schemas.SpotCancellation(), request, "cancellation")
        with self.db.transaction() as conn:
            return spot.cancel(conn, self.outbox, request_id, data["reason"], self.clock())

    @every("MATCHING_TICK_SECONDS", 60)
    def remind_spot_requests(self) -> dict:
        """Remind both sides of an assigned spot request the day before it (Tokyo time)."""
        with self.db.transaction() as conn:
            sent = spot.send_reminders(conn, self.outbox, self.clock())
        if sent:
            self.log.info("spot request reminders due", reminders=sent)
        return {"reminders": sent}

    # -- reports --------------------------------------------------------------------------

    @rpc
    def report(self) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return reports.summary(conn)

    def _link_secret(self) -> str:
        secret = str(self.config.get("PAIRING_LINK_SECRET") or "")
        if len(secret) < 32:
            raise RuntimeError("PAIRING_LINK_SECRET must be set to at least 32 characters")
        return secret
