"""`@rpc` for every service: Nameko's RPC entrypoint made to outlive a broker or database outage.

Nameko 2.14 publishes a reply from the worker's greenthread; when the broker is away the
publish raises, the thread dies with the error and the container kills itself, so a ten-second
broker restart took the whole process down. Here a reply that cannot be delivered is logged
and dropped (its caller has timed out by then and answered its own client with a 503), and
the request is acknowledged only if the connection still allows it (otherwise the broker
delivers it again, and the entrypoints are idempotent or guarded by the caller's expiry).

A dependency outage inside the method (database unreachable, connection dropped mid-query,
broker refusing a publish) is answered as `errors.Unavailable`, which the gateway turns into a
503 problem that clients and Stripe retry, never a 500. A `servicekit.domain` error the method
raises is answered as its `servicekit.errors` class (`errors.answering_domain_errors`), so the
domain modules need not know the wire.

Every service uses this `rpc` (never `nameko.rpc.rpc`): a service mixing the two would have
two consumers on one queue, each refusing the other's methods.
"""

from __future__ import annotations

import types

import structlog
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange

import servicekit.discovery  # noqa: F401 - Nameko finds extensions in __dict__s alone
import servicekit.settling  # noqa: F401 - mends Nameko's ack and requeue on a lost connection
import servicekit.stopping  # noqa: F401 - mends Nameko's stop while consumers start
from servicekit.errors import answering_domain_errors, is_outage, outage_as_unavailable

log = structlog.get_logger("servicekit.rpc")

_QUICK = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}


class QuickPublisher(Publisher):
    """Nameko's publisher giving up within about two seconds while the broker is away (its
    default retries for up to ten): a caller waits ten at most, and a worker stuck retrying
    holds a slot other requests need once the broker is back."""

    retry_policy = _QUICK
    transport_options = dict(_QUICK)


class ReplyResponder(Responder):
    publisher_cls = QuickPublisher


class ResilientRpcConsumer(RpcConsumer):
    def handle_result(self, message, result, exc_info):
        exc_info = outage_as_unavailable(exc_info)
        config = self.container.config
        responder = ReplyResponder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except Exception as exc:  # noqa: BLE001 - an undeliverable reply must not be fatal
            if not is_outage(exc) and not isinstance(exc, OSError):
                raise
            log.warning("rpc reply dropped: the broker is unavailable",
                        method=message.delivery_info.get("routing_key"),
                        error=f"{type(exc).__name__}: {exc}"[:200])
        self.queue_consumer.ack_message(message)
        return result, exc_info


class ResilientRpc(Rpc):
    rpc_consumer = ResilientRpcConsumer()

    @classmethod
    def decorator(cls, *args, **kwargs):
        """Nameko's `@rpc` and `@rpc(...)`, registering the method wrapped so that its domain
        errors reach the caller as servicekit errors (also when a test calls it directly
        through `entrypoint_hook`, which bypasses the consumer)."""
        register = super().decorator
        if len(args) == 1 and not kwargs and isinstance(args[0], types.FunctionType):
            return register(answering_domain_errors(args[0]))
        registering = register(*args, **kwargs)
        return lambda fn: registering(answering_domain_errors(fn))


rpc = ResilientRpc.decorator
