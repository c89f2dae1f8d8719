"""The programs service. Its domain arrives with its own issue; for now it starts, owns its database
and outbox, and answers a ping so the gateway's readiness check covers it."""

from nameko.rpc import rpc
from servicekit.db import Database
from servicekit.events import OutboxRelay
from servicekit.logging import LogContext


class ProgramsService:
    name = "programs"

    db = Database()
    relay = OutboxRelay()
    log = LogContext()

    @rpc
    def ping(self) -> dict:
        with self.db.transaction() as conn:
            conn.execute("SELECT 1")
        return {"service": self.name, "ok": True}
