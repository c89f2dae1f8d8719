"""Reliable events: envelope, outbox, relay, inbox, retry and dead letters (DESIGN §4)."""

from servicekit.events.consumer import PermanentFailure, consume_event
from servicekit.events.envelope import Envelope, exchange_for
from servicekit.events.inbox import first_time
from servicekit.events.outbox import Outbox, outbox_status, write_event
from servicekit.events.relay import OutboxRelay

__all__ = [
    "Envelope",
    "Outbox",
    "OutboxRelay",
    "PermanentFailure",
    "consume_event",
    "exchange_for",
    "first_time",
    "outbox_status",
    "write_event",
]
