"""The pipeline's hops in bare Nameko, for `bench_pipeline.py --modes bare`: what Nameko itself
costs, with none of the platform's work.

Three services, each run as its own `nameko run` process like the platform's: an `@http`
webhook endpoint making one RPC; a ledger that writes one row in a transaction and dispatches
one event (Nameko's confirmed, persistent publish); a mailer whose event handler writes one
inbox row in a transaction and sends one e-mail over SMTP. No signature check, validation,
outbox, templates or logging. The platform's pipeline does all of this and more, so this is
a ceiling on how fast it could go with Nameko, not a target.

Configuration (the `--config` file): AMQP_URI, WEB_SERVER_ADDRESS, BARE_DB_URL, BARE_SMTP_PORT.
"""

from __future__ import annotations

import json
import smtplib
import uuid
from contextlib import contextmanager
from email.message import EmailMessage

import eventlet.queue
from nameko.events import EventDispatcher, event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http
from servicekit.db import connect

TABLES = ("CREATE TABLE IF NOT EXISTS bare_ledger (id TEXT PRIMARY KEY, email TEXT NOT NULL)",
          "CREATE TABLE IF NOT EXISTS bare_inbox (id TEXT PRIMARY KEY)")


class Lent(DependencyProvider):
    """One connection per worker slot, opened once and lent to one worker at a time (as the
    platform's pools keep theirs)."""

    def open(self):
        raise NotImplementedError

    def setup(self) -> None:
        self.config = self.container.config
        self.idle: eventlet.queue.Queue = eventlet.queue.Queue()

    def start(self) -> None:
        for _ in range(self.container.max_workers):
            self.idle.put(self.open())

    def stop(self) -> None:
        while not self.idle.empty():
            self.idle.get().close()

    def get_dependency(self, worker_ctx):
        return self

    @contextmanager
    def lent(self):
        connection = self.idle.get()
        try:
            yield connection
        finally:
            self.idle.put(connection)


class Database(Lent):
    def open(self):
        return connect(self.config["BARE_DB_URL"])

    def write(self, sql: str, params: tuple) -> None:
        with self.lent() as conn, conn.transaction():
            conn.execute(sql, params)


class Relay(Lent):
    def open(self):
        return smtplib.SMTP("127.0.0.1", int(self.config["BARE_SMTP_PORT"]))

    def send(self, message: EmailMessage) -> None:
        with self.lent() as smtp:
            smtp.send_message(message)


class BareGateway:
    name = "bare_gateway"
    ledger = RpcProxy("bare_ledger")

    @http("POST", "/api/webhooks/stripe")
    def webhook(self, request):
        self.ledger.take(request.get_data(as_text=True))
        return 200, json.dumps({"received": True})


class BareLedger:
    name = "bare_ledger"
    db = Database()
    dispatch = EventDispatcher()

    @rpc
    def take(self, body: str) -> None:
        subscription = json.loads(body)["data"]["object"]["subscription"]
        email = f"s{subscription.removeprefix('sub_')}@example.com"
        key = str(uuid.uuid4())
        self.db.write("INSERT INTO bare_ledger (id, email) VALUES (%s, %s)", (key, email))
        self.dispatch("taken", {"id": key, "email": email})


class BareMailer:
    name = "bare_mailer"
    db = Database()
    relay = Relay()

    @event_handler("bare_ledger", "taken")
    def handle(self, event: dict) -> None:
        self.db.write("INSERT INTO bare_inbox (id) VALUES (%s) ON CONFLICT DO NOTHING",
                      (event["id"],))
        message = EmailMessage()
        message["From"] = "bench@example.org"
        message["To"] = event["email"]
        message["Subject"] = "Thank you"
        message.set_content("Thank you for your gift.")
        self.relay.send(message)
