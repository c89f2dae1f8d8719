"""The HTTP face of the platform: validate, call a service, answer. No business rules live here.

Entrypoints stay thin: bodies are validated by `schemas`, failures become problem+json in
`errors` (raised exceptions propagate there), and the request id travels to the services as the
RPC `correlation_id` (see `web`).
"""

from __future__ import annotations

from api import registry
from nameko.dependency_providers import Config
from nameko.timer import timer
from servicekit.db import Database
from servicekit.events import Envelope
from servicekit.logging import LogContext
from werkzeug.wrappers import Request, Response

from gateway import feed, openapi, operations, routes, schemas
from gateway.auth import StaffAuth
from gateway.rpc import TimedRpcProxy, ping_all
from gateway.web import http, json_response, problem

DEFAULT_READY_TIMEOUT_SECONDS = 2.0
PRUNE_EVERY_SECONDS = 3600


class GatewayService(operations.route_mixin(registry.OPERATIONS),
                     routes.donations.DonationRoutes, routes.receipts.ReceiptRoutes,
                     routes.programs.ProgramRoutes,
                     routes.staff.StaffRoutes,
                     routes.staff_accounts.StaffAccountRoutes,
                     routes.notifications.NotificationRoutes,
                     routes.events.EventRoutes,
                     routes.console.ConsoleRoutes, routes.site.SiteRoutes):
    name = "gateway"

    log = LogContext()
    config = Config()
    staff = StaffAuth()
    db = Database()  # the gateway's own: staff accounts, the staff event feed
    donations = TimedRpcProxy("donations")
    matching = TimedRpcProxy("matching")
    programs = TimedRpcProxy("programs")
    notifications = TimedRpcProxy("notifications")

    @feed.feed_events()
    def record_events(self, events: list[Envelope]) -> None:
        """Keep every service's events for `GET /api/staff/events` (personal data: not logged)."""
        with self.db.transaction() as conn:
            feed.store_all(conn, events)

    @timer(interval=PRUNE_EVERY_SECONDS)
    def prune_events(self) -> None:
        days = float(self.config.get("STAFF_EVENTS_RETENTION_DAYS", feed.DEFAULT_RETENTION_DAYS))
        with self.db.transaction() as conn:
            removed = feed.prune(conn, days)
        if removed:
            self.log.info("staff events pruned", removed=removed, retention_days=days)

    @http("GET", "/healthz")
    def healthz(self, request: Request) -> Response:
        return json_response(schemas.Health().dump({"status": "ok"}))

    @http("GET", "/readyz")
    def readyz(self, request: Request) -> Response:
        timeout = float(self.config.get("READY_TIMEOUT_SECONDS", DEFAULT_READY_TIMEOUT_SECONDS))
        states = ping_all({"donations": self.donations, "matching": self.matching,
                           "programs": self.programs, "notifications": self.notifications},
                          timeout)
        down = sorted(name for name, state in states.items() if state != "ok")
        if down:
            self.log.warning("not ready", services=states)
            return problem(503, "Service Unavailable", "Not every service answered.", request,
                           unavailable=down, services=states)
        return json_response(schemas.Readiness().dump({"status": "ok", "services": states}))

    @http("GET", "/api/openapi.json")
    def openapi_document(self, request: Request) -> Response:
        return json_response(openapi.document_for(type(self)))
