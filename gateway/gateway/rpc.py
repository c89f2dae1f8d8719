"""RPC proxies that give up: a browser must get a 503 in seconds, not wait forever.

Nameko 2.14's `RpcProxy` has no timeout. When the target service never ran, the publish is
refused at once (`UnknownService`, thanks to mandatory publishing with confirms), but when its
durable queue exists and nobody consumes it (the service crashed or is restarting) a call would
wait for ever. `ClusterRpcProxy(timeout=...)` has one, but opens a connection and a reply queue
per use; here the in-container proxy is kept and the wait is bounded with an eventlet timeout.

A request that timed out must not be executed later behind the client's back (a pledge created
minutes after the browser was told to retry), so each message also carries an AMQP expiration
equal to the timeout: RabbitMQ drops it if no service picked it up in time.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import eventlet
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.rpc import MethodProxy, ReplyListener, RpcProxy, RpcReply, ServiceProxy
from servicekit.errors import is_outage
from servicekit.rpc import QuickPublisher

DEFAULT_TIMEOUT_SECONDS = 10.0
TIMEOUT_CONFIG_KEY = "RPC_TIMEOUT_SECONDS"


class TimedReply:
    """A pending reply whose `result()` raises `RpcTimeout` instead of waiting for ever."""

    def __init__(self, reply: RpcReply, reply_listener: ReplyListener, label: str,
                 timeout: float):
        self._reply = reply
        self._reply_listener = reply_listener
        self._label = label
        self.timeout = timeout

    def result(self, timeout: float | None = None) -> Any:
        limit = self.timeout if timeout is None else timeout
        timer = eventlet.Timeout(limit)
        try:
            return self._reply.result()
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise
            self._forget()
            raise RpcTimeout(f"{self._label} gave no reply within {limit:g}s") from None
        finally:
            timer.cancel()

    def _forget(self) -> None:
        # The listener keeps a reply event per correlation id until a reply arrives; after a
        # timeout none may ever come, so drop it (nameko has no public way to do this).
        events = getattr(self._reply_listener, "_reply_events", {})
        for correlation_id, event in list(events.items()):
            if event is self._reply.reply_event:
                events.pop(correlation_id, None)


class TimedMethodProxy(MethodProxy):
    # With the broker away a call fails in seconds (a 503), not after Nameko's long retries.
    publisher_cls = QuickPublisher

    def __init__(self, worker_ctx, service_name: str, method_name: str,
                 reply_listener: ReplyListener, timeout: float, **options):
        self.timeout = timeout
        options.setdefault("expiration", timeout)
        super().__init__(worker_ctx, service_name, method_name, reply_listener, **options)

    def __call__(self, *args, **kwargs) -> Any:
        return self.call_async(*args, **kwargs).result()

    def call_async(self, *args, **kwargs) -> TimedReply:
        reply = self._call(*args, **kwargs)
        return TimedReply(reply, self.reply_listener,
                          f"{self.service_name}.{self.method_name}", self.timeout)


class TimedServiceProxy(ServiceProxy):
    def __init__(self, worker_ctx, service_name: str, reply_listener: ReplyListener,
                 timeout: float, **options):
        super().__init__(worker_ctx, service_name, reply_listener, **options)
        self.timeout = timeout

    def __getattr__(self, name: str) -> TimedMethodProxy:
        return TimedMethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener,
                                self.timeout, **self.options)


class TimedRpcProxy(RpcProxy):
    """`RpcProxy(service)` whose calls raise `RpcTimeout` after `RPC_TIMEOUT_SECONDS`."""

    def setup(self) -> None:
        super().setup()
        self.timeout = float(self.container.config.get(TIMEOUT_CONFIG_KEY,
                                                       DEFAULT_TIMEOUT_SECONDS))

    def get_dependency(self, worker_ctx) -> TimedServiceProxy:
        return TimedServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                                 self.timeout, **self.options)


def ping_all(services: Mapping[str, TimedServiceProxy], timeout: float) -> dict[str, str]:
    """Ping every service at once and wait at most `timeout` in total.

    Returns each service's state: "ok", "not running" (no queue to deliver to), "timeout",
    "broker unavailable" (the ping could not be sent) or "error" (its ping raised, e.g. its
    database is away).
    """
    states: dict[str, str] = {}
    pending: dict[str, TimedReply] = {}
    for name, proxy in services.items():
        try:
            pending[name] = proxy.ping.call_async()
        except UnknownService:
            states[name] = "not running"
        except Exception as exc:  # noqa: BLE001 - whatever failed, readiness must answer
            if not is_outage(exc):
                raise
            states[name] = "broker unavailable"
    deadline = time.monotonic() + timeout
    for name, reply in pending.items():
        try:
            reply.result(timeout=max(0.0, deadline - time.monotonic()))
            states[name] = "ok"
        except RpcTimeout:
            states[name] = "timeout"
        except Exception:
            states[name] = "error"
    return {name: states[name] for name in services}
