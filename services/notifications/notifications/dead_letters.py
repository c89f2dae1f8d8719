"""Watching the services' dead-letter queues, and deciding when staff must hear about one.

A parked message is an event some service could not handle: nothing retries it until someone
fixes the cause and replays it (`jii dlq`). Every tick reads each watched queue's depth with a
passive declare (no management API, and no permission needed beyond a login on the vhost),
then `observe` decides, per queue and under a row lock, whether this depth is news. An alert
is the `dead_letters_growing` event, written to the outbox in the same transaction as the
watcher's memory, so it exists exactly when the memory says staff were told.

Admins also look into the watched queues and replay them from the staff console, through this
service (`peek`, `replay_parked`), with the same code as `jii dlq`
(`servicekit.events.parked`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import amqp.exceptions
import kombu.exceptions
import psycopg
from kombu import Connection
from servicekit.config import amqp_uri as configured_amqp_uri
from servicekit.db import Session
from servicekit.events import parked
from servicekit.events.outbox import OutboxWriter
from servicekit.events.topology import ATTEMPT_HEADER, FAILED_AT_HEADER

DEFAULT_QUEUES = ("donations.dlq", "matching.dlq", "programs.dlq", "notifications.dlq",
                  "gateway.dlq")
# A queue still growing a day after its alert is worth telling staff again, even slowly.
REMIND_AFTER = timedelta(hours=24)
# Anything the broker or the network can throw at a connect or a declare.
BROKER_ERRORS = (OSError, kombu.exceptions.KombuError, amqp.exceptions.AMQPError)


class BrokerUnavailable(Exception):
    """The depths could not be read this time; the next tick tries again."""


@dataclass(frozen=True)
class Watch:
    """What to watch (config `DLQ_WATCH_QUEUES`), from which depth to alert
    (`DLQ_ALERT_THRESHOLD`), and the broker, read as the service's own user."""

    amqp_uri: str
    queues: tuple[str, ...] = DEFAULT_QUEUES
    threshold: int = 1

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Watch:
        raw = config.get("DLQ_WATCH_QUEUES", ",".join(DEFAULT_QUEUES))
        if isinstance(raw, str):
            raw = raw.split(",")
        queues = tuple(dict.fromkeys(name.strip() for name in raw if name and name.strip()))
        threshold = int(config.get("DLQ_ALERT_THRESHOLD", 1))
        if threshold < 1:
            raise RuntimeError("DLQ_ALERT_THRESHOLD must be at least 1")
        return cls(amqp_uri=configured_amqp_uri(config), queues=queues, threshold=threshold)


@dataclass(frozen=True)
class Alerted:
    """The last alert still outstanding for a queue: the depth staff were told, and when."""

    depth: int
    at: datetime


class Decision(Enum):
    ALERT = "alert"  # tell staff, and remember this depth
    CLEAR = "clear"  # back below the threshold: forget, so the next growth alerts again
    LOWER = "lower"  # partly replayed: measure the next growth from here, without a word
    QUIET = "quiet"  # nothing new to say


def decide(depth: int, threshold: int, last: Alerted | None, now: datetime,
           observed_before: int = 0) -> Decision:
    """Whether a queue's depth is news to staff, given the alert they already have (if any)
    and the depth seen at the tick before.

    The depth counts ready messages only, and `jii dlq list|show|replay` holds every parked
    message unacknowledged while it runs: a queue reads empty for that moment. So an alert is
    forgotten only once two ticks in a row found the queue below the threshold, or staff
    looking at a queue would be told again, as new, what they are looking at.
    """
    if depth < threshold:
        if last is None or observed_before >= threshold:
            return Decision.QUIET
        return Decision.CLEAR
    if last is None:
        return Decision.ALERT
    if depth >= 2 * last.depth:
        return Decision.ALERT
    if depth > last.depth and now - last.at >= REMIND_AFTER:
        return Decision.ALERT
    if depth < last.depth:
        return Decision.LOWER
    return Decision.QUIET


def read_depths(watch: Watch, timeout: float = 5.0) -> dict[str, int]:
    """Messages ready in each watched queue; a queue that does not exist yet holds 0.

    Raises `BrokerUnavailable` when the broker cannot be reached or fails mid-way.
    """
    depths: dict[str, int] = {}
    try:
        with Connection(watch.amqp_uri, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1)
            for queue in watch.queues:
                depths[queue] = _depth(connection, queue)
    except BROKER_ERRORS as exc:
        raise BrokerUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from None
    return depths


def _depth(connection: Connection, queue: str) -> int:
    # A failed passive declare closes its channel, so each queue gets a channel of its own.
    channel = connection.channel()
    try:
        _, count, _ = channel.queue_declare(queue=queue, passive=True)
        return int(count)
    except amqp.exceptions.NotFound:
        # Dead-letter queues are declared when the first message is parked: none yet.
        return 0
    finally:
        try:
            channel.close()
        except BROKER_ERRORS:
            pass  # already closed by the broker after NOT_FOUND


def observe(conn: psycopg.Connection, queue: str, depth: int, threshold: int,
            now: datetime) -> dict[str, Any] | None:
    """Record a queue's depth on `conn`'s transaction; return the alert's event data when
    staff must be told, else None. The caller writes that event in the same transaction.

    The queue's row is locked until commit, so instances of the service ticking at the same
    moment decide one after the other, and the second sees what the first remembered.
    """
    conn.execute("INSERT INTO dead_letter_watch (queue) VALUES (%s) ON CONFLICT DO NOTHING",
                 (queue,))
    row = conn.execute(
        "SELECT alerted_depth, alerted_at, observed_depth FROM dead_letter_watch"
        " WHERE queue = %s FOR UPDATE",
        (queue,),
    ).fetchone()
    last = Alerted(row["alerted_depth"], row["alerted_at"]) if row["alerted_at"] else None
    decision = decide(depth, threshold, last, now, row["observed_depth"] or 0)
    remembered = last
    if decision is Decision.ALERT:
        remembered = Alerted(depth, now)
    elif decision is Decision.CLEAR:
        remembered = None
    elif decision is Decision.LOWER:
        remembered = Alerted(depth, last.at)
    conn.execute(
        """
        UPDATE dead_letter_watch
           SET observed_depth = %s, observed_at = %s, alerted_depth = %s, alerted_at = %s
         WHERE queue = %s
        """,
        (depth, now, remembered.depth if remembered else None,
         remembered.at if remembered else None, queue),
    )
    if decision is not Decision.ALERT:
        return None
    return {"queue": queue, "depth": depth, "previous_depth": last.depth if last else 0,
            "threshold": threshold, "observed_at": now.isoformat()}


def alert_growing(db: Session, outbox: OutboxWriter, depths: Mapping[str, int], threshold: int,
                  now: datetime) -> list[dict[str, Any]]:
    """Observe each queue in a transaction of its own, writing its alert (if any) to `outbox`
    in that same transaction; return the alerts written."""
    alerts = []
    for queue, depth in depths.items():
        with db.transaction() as conn:
            alert = observe(conn, queue, depth, threshold, now)
            if alert:
                outbox.add(conn, "dead_letters_growing", alert)
        if alert:
            alerts.append(alert)
    return alerts


# -- looking into a queue and replaying it (admins, from the staff console) -------------------

ERROR_SHOWN = 2000  # characters of a parked error: its end, where the exception is


class UnknownQueue(Exception):
    """Not a dead-letter queue this service watches."""


def queue_of(watch: Watch, service: str) -> str:
    """The watched dead-letter queue of a service (`donations` -> `donations.dlq`)."""
    queue = f"{service}.dlq"
    if queue not in watch.queues:
        raise UnknownQueue(f"no dead-letter queue {queue} is watched")
    return queue


def _connection(watch: Watch, timeout: float) -> Connection:
    # Confirmed publishes, so that a replayed message is the broker's before it leaves the DLQ.
    return Connection(watch.amqp_uri, connect_timeout=timeout,
                      transport_options={"confirm_publish": True})


def _view(message: parked.Parked) -> dict[str, Any]:
    headers = message.headers
    return {
        "index": message.index, "message_id": message.message_id or None,
        "type": message.event_type, "handler_queue": message.handler_queue or None,
        "failed_at": _text(headers.get(FAILED_AT_HEADER)),
        "attempt": headers.get(ATTEMPT_HEADER),
        "error": message.error[-ERROR_SHOWN:], "envelope": message.envelope,
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def peek(watch: Watch, service: str, limit: int, timeout: float = 5.0) -> dict[str, Any]:
    """The first `limit` messages of a service's dead-letter queue, left where they are."""
    queue = queue_of(watch, service)
    try:
        with _connection(watch, timeout) as connection, parked.fetched(
                connection, queue, limit) as (_, messages, depth):
            return {"service": service, "queue": queue, "depth": depth,
                    "messages": [_view(message) for message in messages]}
    except BROKER_ERRORS as exc:
        raise BrokerUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from None


def replay_parked(watch: Watch, service: str, count: int | None,
                  timeout: float = 5.0) -> dict[str, Any]:
    """Replay the first `count` parked messages (all when None) to the queues they failed on.

    Raises parked.ReplayRefused at the first that cannot go; those replayed before it stay
    replayed, it and the rest stay parked.
    """
    queue = queue_of(watch, service)
    replayed = []
    try:
        with _connection(watch, timeout) as connection, parked.fetched(
                connection, queue, count) as (channel, messages, depth):
            for message, target in parked.replay(channel, messages):
                replayed.append({"message_id": message.message_id or None,
                                 "type": message.event_type, "handler_queue": target})
    except BROKER_ERRORS as exc:
        raise BrokerUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from None
    return {"service": service, "queue": queue, "replayed": replayed,
            "left": depth - len(replayed)}

