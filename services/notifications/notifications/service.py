"""The notifications service: consumes events only, and turns them into e-mail."""

from __future__ import annotations

from nameko.rpc import rpc
from servicekit.db import Database
from servicekit.events import Envelope, OutboxRelay, consume_event, first_time
from servicekit.logging import LogContext

from notifications.deliveries import send_once
from notifications.mail_provider import MailerProvider


class NotificationsService:
    name = "notifications"

    db = Database()
    relay = OutboxRelay()
    mailer = MailerProvider()
    log = LogContext()

    @rpc
    def ping(self) -> dict:
        with self.db.transaction() as conn:
            conn.execute("SELECT 1")
        return {"service": self.name, "ok": True}

    @consume_event("donations", "payment_succeeded")
    def thank_supporter(self, event: Envelope) -> None:
        """One e-mail per payment: a welcome to JII Partners for a pledge's first, else thanks."""
        data = event.data
        kind = "pledge_welcome" if data["first_of_pledge"] else "donation_thanks"
        with self.db.transaction() as conn:
            if not first_time(conn, "thank_supporter", event.id):
                return
            status = send_once(
                conn, self.mailer, event_id=event.id, kind=kind, to_addr=data["email"],
                to_name=data["name"], locale=data["locale"],
                context={
                    "name": data["name"], "amount": data["amount"],
                    "receipt_number": data["receipt_number"], "paid_at": data["paid_at"],
                    "source": data["source"],
                },
            )
        self.log.info("thank-you handled", kind=kind, status=status)
