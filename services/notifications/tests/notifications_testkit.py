"""Helpers for the notifications tests (the fixtures using them are in conftest.py)."""

from __future__ import annotations

from typing import Any

from kombu import Connection
from servicekit.events import Envelope
from servicekit.events.relay import event_exchange, make_publisher


def publish(config: dict[str, Any], envelope: Envelope) -> None:
    make_publisher(config["AMQP_URI"]).publish(
        envelope.to_dict(), exchange=event_exchange(envelope.exchange),
        routing_key=envelope.type)


def dlq_depth(config: dict[str, Any]) -> int:
    from servicekit.events.topology import dead_letter_queue_name

    with Connection(config["AMQP_URI"]) as conn:
        try:
            _, count, _ = conn.default_channel.queue_declare(
                queue=dead_letter_queue_name("notifications"), passive=True)
        except Exception:  # noqa: BLE001 - the queue exists only once something was parked
            return 0
        return count
