"""Connections to RabbitMQ for the staff tools (plain kombu: the CLI runs without eventlet)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kombu import Connection

from jii_cli.workspace import CliError, amqp_uri

# What a broker that is down or refuses us raises, across kombu and py-amqp.
BROKER_ERRORS: tuple[type[BaseException], ...] = (OSError, ConnectionError)


def redact(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return uri


def connect(uri: str | None = None, *, confirms: bool = False) -> Connection:
    """An open connection, or a CliError that says which broker did not answer."""
    uri = uri or amqp_uri()
    transport_options = {"confirm_publish": True} if confirms else {}
    conn = Connection(uri, transport_options=transport_options, connect_timeout=5)
    try:
        conn.connect()
    except BROKER_ERRORS as exc:
        conn.release()
        raise CliError(f"cannot reach RabbitMQ at {redact(uri)}: {exc}") from exc
    return conn


@contextmanager
def service_rpc(service: str, timeout: float,
                context: dict[str, Any] | None = None) -> Iterator[Any]:
    """A Nameko RPC proxy to `service`; a service not running, a refusal or a broker that does
    not answer becomes a CliError saying which."""
    from nameko.exceptions import RemoteError, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    uri = amqp_uri()
    try:
        with ClusterRpcProxy({"AMQP_URI": uri}, timeout=timeout,
                             context_data=context or {}) as cluster:
            yield getattr(cluster, service)
    except UnknownService:
        raise CliError(f"the {service} service is not running") from None
    except RemoteError as exc:
        raise CliError(f"{service} refused: {exc}") from None
    except OSError as exc:
        raise CliError(f"cannot reach RabbitMQ at {redact(uri)}: {exc}") from None
