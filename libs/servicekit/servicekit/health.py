"""The ping every service answers, so the gateway's `/readyz` knows it is up and its database
answers. Mixed into each service class (it needs the service's `db`).

Refer to it as `health.Ping`, never import the class itself into a service module: `nameko run
donations.service` takes every class with entrypoints in the module for a service.
"""

from __future__ import annotations

from servicekit.rpc import rpc


class Ping:
    @rpc
    def ping(self) -> dict:
        with self.db.transaction() as conn:
            conn.execute("SELECT 1")
        return {"service": self.name, "ok": True}
