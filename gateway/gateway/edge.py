"""What the gateway does before any route runs: per-client rate limits on public POSTs and
CORS for the public site's origins."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

# Staff routes are behind sign-in; Stripe's webhooks come from Stripe, which retries on 429;
# one-click unsubscribes come in bursts from mail providers' shared servers after a mailing,
# and each needs a token we signed.
UNLIMITED_PREFIXES = ("/api/staff/", "/api/webhooks/", "/api/unsubscribe/")
CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, X-Request-ID"
CORS_EXPOSED = "X-Request-ID, Retry-After"
MAX_TRACKED_CLIENTS = 50_000


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


@dataclass
class TokenBucket:
    """`per_minute` requests a minute on average, up to `burst` at once, per client.

    Kept in the process: each gateway instance limits on its own, so the effective limit
    scales with the instances behind the load balancer.
    """

    per_minute: float
    burst: int
    _clients: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        tokens, last = self._clients.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * rate)
        if tokens < 1.0:
            self._clients[client] = (tokens, now)
            raise RateLimited(max(1, int((1.0 - tokens) / rate + 0.999)))
        self._clients[client] = (tokens - 1.0, now)
        if len(self._clients) > MAX_TRACKED_CLIENTS:
            self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        refill_seconds = self.burst / (self.per_minute / 60.0)
        idle = [c for c, (_, last) in self._clients.items() if now - last > refill_seconds]
        for client in idle:
            del self._clients[client]


def limiter_from(config: dict[str, Any]) -> TokenBucket:
    return TokenBucket(per_minute=float(config.get("RATE_LIMIT_PER_MINUTE", 30)),
                       burst=int(config.get("RATE_LIMIT_BURST", 10)))


def client_of(request: Request, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.remote_addr or "unknown"


def is_limited(request: Request) -> bool:
    return request.method == "POST" and not request.path.startswith(UNLIMITED_PREFIXES)


def allowed_origins(config: dict[str, Any]) -> frozenset[str]:
    raw = config.get("CORS_ORIGINS") or ""
    if isinstance(raw, (list, tuple)):
        return frozenset(str(origin).rstrip("/") for origin in raw)
    return frozenset(origin.strip().rstrip("/") for origin in str(raw).split(",")
                     if origin.strip())


def preflight(request: Request, origins: frozenset[str]) -> Response | None:
    """The answer to a CORS preflight from an allowed origin; None when it is not one."""
    origin = request.headers.get("Origin")
    if (request.method != "OPTIONS" or origin not in origins
            or "Access-Control-Request-Method" not in request.headers):
        return None
    response = Response(status=204)
    response.headers.update({
        "Access-Control-Allow-Methods": CORS_METHODS,
        "Access-Control-Allow-Headers": CORS_HEADERS,
        "Access-Control-Max-Age": "600",
    })
    return response


def add_cors_headers(request: Request, response: Response, origins: frozenset[str]) -> None:
    origin = request.headers.get("Origin")
    if origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
        response.headers.add("Vary", "Origin")
