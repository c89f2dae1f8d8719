"""The HTTP face of the platform: validate, call a service, answer. No business rules live here.

Entrypoints stay thin: bodies are validated by `schemas`, failures become problem+json in
`errors` (raised exceptions propagate there), and the request id travels to the services as the
RPC `correlation_id` (see `web`).
"""

from __future__ import annotations

from nameko.dependency_providers import Config
from servicekit.logging import LogContext
from werkzeug.wrappers import Request, Response

from gateway import openapi, schemas
from gateway.auth import StaffAuth
from gateway.routes.donations import DonationRoutes
from gateway.rpc import TimedRpcProxy, ping_all
from gateway.web import http, json_response, problem

DEFAULT_READY_TIMEOUT_SECONDS = 2.0


class GatewayService(DonationRoutes):
    name = "gateway"

    log = LogContext()
    config = Config()
    staff = StaffAuth()
    donations = TimedRpcProxy("donations")
    matching = TimedRpcProxy("matching")
    programs = TimedRpcProxy("programs")
    notifications = TimedRpcProxy("notifications")

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
