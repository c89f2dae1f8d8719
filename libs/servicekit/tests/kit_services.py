"""Two small services used by the kit's tests: one that writes events, one that consumes them."""

from __future__ import annotations

import psycopg
from contracts import register
from marshmallow import Schema, fields
from servicekit.db import Database
from servicekit.events import Envelope, Outbox, OutboxRelay, consume_event
from servicekit.logging import LogContext
from servicekit.rpc import rpc


class Tick(Schema):
    n = fields.Integer(required=True, strict=True)
    fail = fields.Boolean(load_default=False)


register("kit_source", "tick", 1, Tick)


class SourceService:
    name = "kit_source"
    db = Database()
    outbox = Outbox()
    relay = OutboxRelay()
    log = LogContext()

    @rpc
    def emit(self, n: int, fail: bool = False) -> str:
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO ticks (n) VALUES (%s)", (n,))
            return self.outbox.add(conn, "tick", {"n": n, "fail": fail}).id

    @rpc
    def emit_many(self, count: int, start: int = 0) -> int:
        with self.db.transaction() as conn:
            for n in range(start, start + count):
                conn.execute("INSERT INTO ticks (n) VALUES (%s)", (n,))
                self.outbox.add(conn, "tick", {"n": n})
        return count

    @rpc
    def emit_then_fail(self, n: int) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO ticks (n) VALUES (%s)", (n,))
            self.outbox.add(conn, "tick", {"n": n})
            raise RuntimeError("the unit of work fails after writing its event")


class SinkService:
    name = "kit_sink"
    db = Database()
    log = LogContext()

    @consume_event("kit_source", "tick")
    def record_tick(self, event: Envelope, conn: psycopg.Connection) -> None:
        refused = conn.execute("SELECT 1 FROM refuse WHERE n = %s", (event.data["n"],))
        if event.data["fail"] or refused.fetchone():
            raise RuntimeError(f"cannot handle tick {event.data['n']}")
        conn.execute(
            "INSERT INTO seen (event_id, n, correlation_id) VALUES (%s, %s, %s)",
            (event.id, event.data["n"], event.correlation_id),
        )
