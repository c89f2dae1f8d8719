"""The notifications service: consumes events only, and turns them into e-mail.

Handlers are thin: `messages` decides who gets what from an event, `deliveries` sends each
message once, `partners` keeps the list of active JII Partners for the monthly impact update.
A temporary SMTP failure is logged as deferred and propagates out of the handler, so the event
is retried with growing delays (servicekit's consumer) and, once SMTP is back, delivered;
recipients already served are skipped through the delivery log.

Every handler that sends mail opts out of `consume_event`'s inbox (`inbox=False`): SMTP cannot
join a database transaction, so the handler cannot run inside the one `consume_event` opens
around it; each message is claimed in the delivery log before the relay is contacted and
settled after, in transactions of its own. Such a handler reads and writes the event's inbox
row itself, in those same transactions (`deliveries.deliver_all`). The handlers that only
record a pledge take the inbox `consume_event` keeps.

One timer watches the services' dead-letter queues (`dead_letters`): when one grows it
publishes `dead_letters_growing` through this service's own outbox, and consumes that event
like any other to mail staff, so the alert also reaches `jii events tail` and the staff feed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from api import notifications as api
from api.serving import serves
from servicekit import health
from servicekit.caller import Caller
from servicekit.db import Database
from servicekit.errors import BadSignature, Conflict, NotFound, Unavailable
from servicekit.events import Envelope, Outbox, OutboxRelay, consume_event, first_time, parked
from servicekit.links import LinkInvalid
from servicekit.logging import LogContext
from servicekit.rpc import rpc
from servicekit.timers import every

from notifications import dead_letters, delivery_log, messages, partners
from notifications.deliveries import deliver_all
from notifications.mail_provider import MailerProvider
from notifications.settings import SettingsProvider

IMPACT_LIST = "impact_update"
DELIVERY_LOG_LIMIT = 200


class NotificationsService(health.Ping):
    name = "notifications"

    db = Database()
    outbox = Outbox()
    relay = OutboxRelay()
    mailer = MailerProvider()
    settings = SettingsProvider()
    log = LogContext()
    caller = Caller()

    # -- RPC (called by the gateway only) -------------------------------------------------

    @rpc
    def unsubscribe(self, token: str) -> dict:
        """One-click unsubscribe: stops that list (impact updates) for that address only."""
        try:
            address, mailing_list = self.settings.links.read(token)
        except LinkInvalid as exc:
            raise BadSignature(str(exc)) from None
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO unsubscribes (recipient, list) VALUES (lower(%s), %s)"
                         " ON CONFLICT DO NOTHING", (address, mailing_list))
        self.log.info("unsubscribed", list=mailing_list)
        return {"unsubscribed": True, "list": mailing_list}

    @serves(api.MAIL_LOG)
    def delivery_log(self, query: dict[str, Any]) -> dict[str, Any]:
        """The delivery log for one address or one event, newest first (staff only)."""
        event = query.get("event")
        with self.db.transaction() as conn:
            return {"deliveries": delivery_log.entries(
                conn, email=query.get("email"), event_id=str(event) if event else None,
                limit=DELIVERY_LOG_LIMIT)}

    # -- the dead-letter queue watch -------------------------------------------------------

    @every("DLQ_WATCH_SECONDS", 60)
    def watch_dead_letters(self) -> list[str]:
        """Alert staff when a watched dead-letter queue grows; returns the queues alerted."""
        watch = self.settings.dead_letters
        try:
            depths = dead_letters.read_depths(watch)
        except dead_letters.BrokerUnavailable as exc:
            # Nothing to decide on without depths; the memory is untouched, the next tick retries.
            self.log.warning("dead-letter watch skipped: broker unavailable", error=str(exc))
            return []
        alerts = dead_letters.alert_growing(self.db, self.outbox, depths, watch.threshold,
                                            datetime.now(UTC))
        for alert in alerts:
            self.log.warning("dead letters growing", queue=alert["queue"], depth=alert["depth"],
                             previous_depth=alert["previous_depth"])
        return [alert["queue"] for alert in alerts]

    # -- the dead-letter queues, for admins in the staff console ----------------------------

    @serves(api.DEAD_LETTER_QUEUES)
    def dead_letter_queues(self) -> dict[str, Any]:
        """Each watched dead-letter queue and how many messages wait in it (admins)."""
        watch = self.settings.dead_letters
        depths = self._broker(dead_letters.read_depths, watch)
        return {"queues": [{"service": messages.dead_letter_service(queue), "queue": queue,
                            "depth": depth} for queue, depth in depths.items()]}

    @serves(api.DEAD_LETTERS)
    def dead_letters(self, service: str, query: dict[str, Any]) -> dict[str, Any]:
        """The first `limit` messages parked for a service, left in place (admins)."""
        return self._broker(dead_letters.peek, self.settings.dead_letters,
                            self._watched(service), query["limit"])

    @serves(api.REPLAY_DEAD_LETTERS)
    def replay_dead_letters(self, service: str, body: dict[str, Any]) -> dict[str, Any]:
        """Replay the first `count` parked messages of a service (all with `all`) to the
        queues they failed on (admins)."""
        service = self._watched(service)
        try:
            replayed = self._broker(dead_letters.replay_parked, self.settings.dead_letters,
                                    service, body.get("count"))
        except parked.ReplayRefused as exc:
            raise Conflict(str(exc)) from None
        self.log.warning("dead letters replayed", queue=replayed["queue"],
                         replayed=len(replayed["replayed"]), by=self.caller["subject"])
        return replayed

    def _watched(self, service: Any) -> str:
        try:
            dead_letters.queue_of(self.settings.dead_letters, str(service))
        except dead_letters.UnknownQueue as exc:
            raise NotFound(str(exc)) from None
        return str(service)

    def _broker(self, action, *args):
        try:
            return action(*args)
        except dead_letters.BrokerUnavailable as exc:
            self.log.warning("dead-letter queues unreachable", error=str(exc))
            raise Unavailable("the message broker did not answer; try again") from None

    # inbox=False on each handler that mails: see the module's docstring.
    @consume_event("notifications", "dead_letters_growing", inbox=False)
    def on_dead_letters_growing(self, event: Envelope) -> None:
        self._notify(event)

    # -- donations ------------------------------------------------------------------------

    @consume_event("donations", "payment_succeeded", inbox=False)
    def thank_supporter(self, event: Envelope) -> None:
        """One e-mail per payment: a welcome to JII Partners for a pledge's first, else thanks."""
        self._notify(event, done="thank-you handled")  # the line the pipeline traces follow

    @consume_event("donations", "payment_failed", inbox=False)
    def on_payment_failed(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("donations", "payment_refunded", inbox=False)
    def on_payment_refunded(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("donations", "annual_receipts_ready", inbox=False)
    def on_annual_receipts_ready(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("donations", "payment_disputed", inbox=False)
    def on_payment_disputed(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("donations", "pledge_link_requested", inbox=False)
    def on_pledge_link_requested(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("donations", "bank_transfer_notified", inbox=False)
    def on_bank_transfer_notified(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("donations", "pledge_started")
    def on_pledge_started(self, event: Envelope, conn: psycopg.Connection) -> None:
        # No e-mail: the welcome goes out with the first payment's receipt.
        partners.record_pledge(conn, event.type, event.data, event.occurred_at)

    @consume_event("donations", "pledge_changed", inbox=False)
    def on_pledge_changed(self, event: Envelope) -> None:
        self._track_pledge(event)
        self._notify(event)

    @consume_event("donations", "pledge_paused", inbox=False)
    def on_pledge_paused(self, event: Envelope) -> None:
        self._track_pledge(event)
        self._notify(event)

    @consume_event("donations", "pledge_past_due")
    def on_pledge_past_due(self, event: Envelope, conn: psycopg.Connection) -> None:
        # No e-mail: payment_failed (with the card-update link) already told the supporter.
        partners.record_pledge(conn, event.type, event.data, event.occurred_at)

    @consume_event("donations", "pledge_canceled", inbox=False)
    def on_pledge_canceled(self, event: Envelope) -> None:
        self._track_pledge(event)
        self._notify(event)

    # inbox=False: an erasure is worth repeating; a replayed event erases what arrived since.
    @consume_event("donations", "supporter_anonymized", inbox=False)
    def on_supporter_anonymized(self, event: Envelope) -> None:
        with self.db.transaction() as conn:
            partners.forget_supporter(conn, event.data["supporter_id"],
                                      event.data["email_sha256"])

    # -- matching -------------------------------------------------------------------------

    @consume_event("matching", "participant_applied", inbox=False)
    def on_participant_applied(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "participant_approved", inbox=False)
    def on_participant_approved(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "participant_rejected", inbox=False)
    def on_participant_rejected(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "pairing_offered", inbox=False)
    def on_pairing_offered(self, event: Envelope) -> None:
        self._notify(event)

    # An offer that will not go ahead: the people still waiting on it are told, never why.
    @consume_event("matching", "pairing_declined", inbox=False)
    def on_pairing_declined(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "pairing_offer_expired", inbox=False)
    def on_pairing_offer_expired(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "participant_withdrawn", inbox=False)
    def on_participant_withdrawn(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "pairing_started", inbox=False)
    def on_pairing_started(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "pairing_ending_soon", inbox=False)
    def on_pairing_ending_soon(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "pairing_completed", inbox=False)
    def on_pairing_completed(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "pairing_closed_early", inbox=False)
    def on_pairing_closed_early(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "spot_request_assigned", inbox=False)
    def on_spot_request_assigned(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "spot_request_reminder_due", inbox=False)
    def on_spot_request_reminder_due(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "spot_request_unassigned", inbox=False)
    def on_spot_request_unassigned(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "spot_request_created", inbox=False)
    def on_spot_request_created(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("matching", "spot_request_cancelled", inbox=False)
    def on_spot_request_cancelled(self, event: Envelope) -> None:
        self._notify(event)

    # -- programs -------------------------------------------------------------------------

    @consume_event("programs", "class_enrollment_confirmed", inbox=False)
    def on_class_enrollment_confirmed(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("programs", "class_enrollment_waitlisted", inbox=False)
    def on_class_enrollment_waitlisted(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("programs", "class_enrollment_promoted", inbox=False)
    def on_class_enrollment_promoted(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("programs", "class_enrollment_withdrawn", inbox=False)
    def on_class_enrollment_withdrawn(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("programs", "class_session_cancelled", inbox=False)
    def on_class_session_cancelled(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("programs", "consultation_resolved", inbox=False)
    def on_consultation_resolved(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("programs", "consultation_opened", inbox=False)
    def on_consultation_opened(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("programs", "consultation_assigned", inbox=False)
    def on_consultation_assigned(self, event: Envelope) -> None:
        self._notify(event)

    @consume_event("programs", "impact_updated", inbox=False)
    def send_impact_update(self, event: Envelope) -> None:
        """Keep the month's figures; mail the month before to active partners once it is over."""
        if self._already_handled(event):
            return
        with self.db.transaction() as conn:
            partners.record_impact(conn, event.data)
            mailings = partners.months_to_mail(conn, event.data["month"], event.id)
            recipients = partners.active_partners(conn) if mailings else []
        links = self.settings.links
        for figures, mailing_event_id in mailings:
            statuses = deliver_all(self.db, self.mailer, mailing_event_id, [
                messages.impact_update(figures, partner, links.url(partner["email"], IMPACT_LIST))
                for partner in recipients
            ], self.settings.delivery)
            self.log.info("impact update mailed", month=figures["month"],
                          statuses=_count(statuses))
        self._mark_handled(event)

    # -- helpers --------------------------------------------------------------------------

    # The delivery log, one row per (event, kind, recipient), is what makes sending
    # exactly-once; the inbox row says the whole event is done, written only after every
    # recipient was served, so a redelivery of a finished event is skipped outright.
    # `deliver_all` reads and writes it in the delivery log's own transactions.
    def _notify(self, event: Envelope, done: str = "notified") -> None:
        build = messages.BUILDERS[(event.source, event.type)]
        statuses = deliver_all(self.db, self.mailer, event.id,
                               build(event.data, self.settings.audience), self.settings.delivery,
                               handler=_handler(event))
        if statuses is not None:
            self.log.info(done, event_type=event.type, statuses=_count(statuses))

    def _already_handled(self, event: Envelope) -> bool:
        with self.db.transaction() as conn:
            return bool(conn.execute(
                "SELECT 1 FROM inbox WHERE handler = %s AND event_id = %s",
                (_handler(event), event.id)).fetchone())

    def _mark_handled(self, event: Envelope) -> None:
        with self.db.transaction() as conn:
            first_time(conn, _handler(event), event.id)

    def _track_pledge(self, event: Envelope) -> None:
        with self.db.transaction() as conn:
            partners.record_pledge(conn, event.type, event.data, event.occurred_at)


def _handler(event: Envelope) -> str:
    return f"notifications.{event.source}.{event.type}"


def _count(statuses: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    return counts

