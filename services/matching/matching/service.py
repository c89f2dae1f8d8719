"""The matching service's entrypoints: thin, each one validated request → one transaction of
plain domain code (participants, departures, pairings, runs, spot, listings, reports) with its
events. The staff lists return personal data: it is never logged here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api import matching as api
from api.serving import serves
from nameko.dependency_providers import Config
from servicekit import errors, health
from servicekit.caller import Caller
from servicekit.db import Database
from servicekit.events import Outbox, OutboxRelay
from servicekit.logging import LogContext
from servicekit.timers import every

from matching import (
    departures,
    links,
    listings,
    pairings,
    participants,
    profiles,
    reports,
    runs,
    spot,
)
from matching.clock import Clock
from matching.profiles import area_choices
from matching.scoring import Settings


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

    @serves(api.LIST_AREAS)
    def list_areas(self) -> dict:
        """The areas applications and Spot requests may name, for the public forms."""
        return {"areas": area_choices()}

    @serves(api.APPLY_RESIDENT)
    def apply_resident(self, body: dict) -> dict:
        return self._apply("resident", body)

    @serves(api.APPLY_PARTNER)
    def apply_partner(self, body: dict) -> dict:
        return self._apply("partner", body)

    @serves(api.APPLY_VOLUNTEER)
    def apply_volunteer(self, body: dict) -> dict:
        return self._apply("volunteer", body)

    def _apply(self, role: str, body: dict) -> dict:
        data = profiles.normalised_application(body)
        with self.db.transaction() as conn:
            participant_id = participants.apply(conn, self.outbox, role, data, self.clock())
        self.log.info("application received", participant_id=participant_id, role=role)
        return {"id": participant_id, "role": role, "status": "applied"}

    @serves(api.APPROVE_PARTICIPANT)
    def approve_participant(self, participant_id: str, body: dict) -> dict:
        with self.db.transaction() as conn:
            return participants.approve(conn, self.outbox, participant_id, self.clock(),
                                        body.get("capacity"))

    @serves(api.REJECT_PARTICIPANT)
    def reject_participant(self, participant_id: str, body: dict) -> dict:
        with self.db.transaction() as conn:
            result = departures.reject(conn, self.outbox, participant_id, body, self.clock())
        self.log.info("participant rejected", participant_id=result["id"],
                      reason=body["reason"])
        return result

    @serves(api.WITHDRAW_PARTICIPANT)
    def withdraw_participant(self, participant_id: str, body: dict) -> dict:
        with self.db.transaction() as conn:
            result = departures.withdraw(conn, self.outbox, participant_id, body, self.clock())
        self.log.info("participant withdrawn", participant_id=result["id"],
                      reason=body["reason"], cancelled=len(result["cancelled_pairings"]))
        return result

    @serves(api.LIST_PARTICIPANTS)
    def list_participants(self, query: dict) -> dict:
        with self.db.transaction() as conn:
            return listings.participants(conn, query)

    @serves(api.GET_PARTICIPANT)
    def get_participant(self, participant_id: str) -> dict:
        with self.db.transaction() as conn:
            return listings.participant(conn, participant_id, self.clock())

    # -- Family Friend pairings -----------------------------------------------------------

    @serves(api.RUN_MATCHING)
    def run_matching(self) -> dict:
        settings = Settings.from_config(self.config)
        with self.db.transaction() as conn:
            run = pairings.run_batch(conn, self.outbox, settings, self.clock(),
                                     self.caller["subject"])
        self.log.info("matching run", run_id=run["run_id"], residents=run["residents"],
                      partners=run["partners"], proposals=len(run["proposals"]),
                      **run["timings"])
        return run

    @serves(api.GET_MATCHING_RUN)
    def get_run(self, run_id: str) -> dict:
        with self.db.transaction() as conn:
            return runs.get(conn, run_id)

    @serves(api.LIST_MATCHING_RUNS)
    def list_runs(self, query: dict) -> dict:
        with self.db.transaction() as conn:
            return runs.recent(conn, query)

    @serves(api.LIST_PAIRINGS)
    def list_pairings(self, query: dict) -> dict:
        with self.db.transaction() as conn:
            return listings.pairings(conn, query)

    @serves(api.GET_PAIRING)
    def get_pairing(self, pairing_id: str) -> dict:
        with self.db.transaction() as conn:
            return pairings.get(conn, pairing_id)

    @serves(api.APPROVE_PAIRING)
    def approve_pairing(self, pairing_id: str) -> dict:
        with self.db.transaction() as conn:
            return pairings.approve(conn, self.outbox, pairing_id, self.clock(),
                                    self._link_secret(), self.config["PUBLIC_SITE_URL"])

    @serves(api.RESPOND_TO_PAIRING)
    def respond_to_pairing(self, body: dict) -> dict:
        now = self.clock()
        pairing_id, side = self._offer_of(body["token"], now)
        with self.db.transaction() as conn:
            result = pairings.respond(conn, self.outbox, pairing_id, side, body["answer"], now,
                                      share_contact=body["share_contact"])
        return {"id": result["id"], "state": result["state"]}

    @serves(api.LOG_CHECKIN)
    def log_checkin(self, pairing_id: str, body: dict) -> dict:
        with self.db.transaction() as conn:
            return pairings.log_checkin(conn, self.outbox, pairing_id, body, self.clock(),
                                        self.caller["subject"])

    @serves(api.CLOSE_PAIRING)
    def close_pairing(self, pairing_id: str, body: dict) -> dict:
        with self.db.transaction() as conn:
            return pairings.close_early(conn, self.outbox, pairing_id, body["reason"],
                                        body.get("note"), self.clock())

    @every("MATCHING_TICK_SECONDS", 60)
    def advance_pairings(self) -> dict:
        """Offer expiry, inactivity, ending-soon notices and completion, as the clock says."""
        with self.db.transaction() as conn:
            done = pairings.tick(conn, self.outbox, self.clock())
        if any(done.values()):
            self.log.info("pairings advanced", **done)
        return done

    # -- Spot Otonari-san -----------------------------------------------------------------

    @serves(api.CREATE_SPOT_REQUEST)
    def create_spot_request(self, body: dict) -> dict:
        profiles.known_area(body["area"], "spot request")
        with self.db.transaction() as conn:
            return spot.create(conn, self.outbox, body, self.clock())

    @serves(api.LIST_SPOT_REQUESTS)
    def list_spot_requests(self, query: dict) -> dict:
        with self.db.transaction() as conn:
            return listings.spot_requests(conn, query)

    @serves(api.SPOT_CANDIDATES)
    def spot_candidates(self, request_id: str) -> dict:
        with self.db.transaction() as conn:
            ranked = spot.candidates(conn, request_id, Settings.from_config(self.config),
                                     self.clock())
        return {"spot_request_id": request_id, "candidates": ranked}

    @serves(api.ACCEPT_SPOT_REQUEST)
    def accept_spot_request(self, request_id: str, body: dict) -> dict:
        with self.db.transaction() as conn:
            return spot.accept(conn, self.outbox, request_id, body["volunteer_id"],
                               self.clock())

    @serves(api.REASSIGN_SPOT_REQUEST)
    def reassign_spot_request(self, request_id: str, body: dict) -> dict:
        with self.db.transaction() as conn:
            result = spot.reassign(conn, self.outbox, request_id, body, self.clock(),
                                   self.caller["subject"])
        self.log.info("spot request reassigned", spot_request_id=result["id"],
                      volunteer_id=result["volunteer_id"], reason=body["reason"])
        return result

    @serves(api.COMPLETE_SPOT_REQUEST)
    def complete_spot_request(self, request_id: str, body: dict) -> dict:
        with self.db.transaction() as conn:
            return spot.complete(conn, self.outbox, request_id, body["hours"], self.clock())

    @serves(api.CANCEL_SPOT_REQUEST)
    def cancel_spot_request(self, request_id: str, body: dict) -> dict:
        with self.db.transaction() as conn:
            return spot.cancel(conn, self.outbox, request_id, body["reason"], self.clock())

    @every("MATCHING_TICK_SECONDS", 60)
    def remind_spot_requests(self) -> dict:
        """Remind both sides of an assigned spot request the day before it (Tokyo time)."""
        with self.db.transaction() as conn:
            sent = spot.send_reminders(conn, self.outbox, self.clock())
        if sent:
            self.log.info("spot request reminders due", reminders=sent)
        return {"reminders": sent}

    # -- reports --------------------------------------------------------------------------

    @serves(api.MATCHING_REPORT)
    def report(self) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return reports.summary(conn)

    def _offer_of(self, token: str, now: datetime) -> tuple[str, str]:
        """(pairing id, side) an offer's link names. An expired one is a conflict (the page
        says the offer has lapsed), any other a bad signature."""
        try:
            return links.read_token(self._link_secret(), lambda: now, token)
        except links.LinkInvalid as exc:
            if exc.expired:
                raise errors.Conflict(str(exc), {"expired": True}) from None
            raise errors.BadSignature(str(exc)) from None

    def _link_secret(self) -> str:
        secret = str(self.config.get("PAIRING_LINK_SECRET") or "")
        if len(secret) < 32:
            raise RuntimeError("PAIRING_LINK_SECRET must be set to at least 32 characters")
        return secret
