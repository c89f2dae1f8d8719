"""The recent-events feed for staff tools (DESIGN §4.6): the gateway keeps its own copy.

`feed_events(sources)` is `consume_event` widened to every event type: one durable queue,
`evt-feed--gateway`, bound with `#` to each `<source>.events` exchange. It inherits
`ReliableEventHandler`'s handling: the envelope and its contract are checked on receipt, a
malformed event is parked in `gateway.dlq`, and a failed insert is retried through delay queues.

Rows are stored once per event id. Each insert takes a transaction-level advisory lock first,
so ids are handed out and committed in the same order, across gateway instances too: a tool
polling `after=<last id>` never skips a row that committed late.

Events are stored in batches: whatever arrived while the previous batch was being written
goes into the next one, in one transaction, in the order the broker delivered it. One commit
per event capped the feed at what the disk could flush one at a time, and staff saw a busy
minute seconds late. A batch that fails is taken apart and each event handled on its own,
so one event that cannot be stored is retried or parked without holding up the others.

The envelopes carry names and e-mail addresses: nothing here logs their data. When donations
announces `supporter_anonymized`, the copies of that supporter's events are redacted like
donations' own (name, e-mail, free-text reasons, and the self-service links whose tokens would
still open the pledge), and any later event about them is stored redacted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from eventlet.event import Event
from kombu import Queue, binding
from kombu.message import Message
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer
from psycopg.types.json import Jsonb
from servicekit.events.consumer import ReliableEventHandler
from servicekit.events.envelope import Envelope, exchange_for
from servicekit.events.relay import event_exchange

SOURCES = ("donations", "matching", "programs", "notifications")
QUEUE_NAME = "evt-feed--gateway"
DEFAULT_RETENTION_DAYS = 30
DEFAULT_PAGE = 100
# Unacknowledged events one gateway process holds, hence the largest batch it writes at once.
BATCH_SIZE = 200
MAX_PAGE = 500
# pg_advisory_xact_lock key: "jiifeed" in hex, an arbitrary constant of the gateway's database.
ORDER_LOCK = 0x6A696966656564
ERASED = "(erased)"
ERASED_EMAIL = "erased@invalid.invalid"
# Personal data in donations' events (libs/contracts/contracts/donations.py): replaced...
ERASED_TEXT = {"name": ERASED, "email": ERASED_EMAIL, "reason": ERASED}
# ...or dropped: links carrying a signed token.
ERASED_LINKS = ("manage_url", "update_card_url")


class BatchQueueConsumer(QueueConsumer):
    """A consumer connection of the feed's own, so that its batches never hold up the
    gateway's RPC replies; it lets up to `BATCH_SIZE` events wait unacknowledged."""

    @property
    def prefetch_count(self) -> int:
        return BATCH_SIZE


class FeedHandler(ReliableEventHandler):
    """Every event type of every source, on one queue (ReliableEventHandler binds one type).

    The decorated method receives a list of envelopes, oldest first, to store in one
    transaction. Messages are acknowledged once their batch committed.
    """

    queue_consumer = BatchQueueConsumer()

    def __init__(self, sources: tuple[str, ...] = SOURCES, **kwargs: Any):
        # inbox=False: a batch of events shares one transaction, where consume_event's inbox
        # claims one event per handler call; `store` keeps each event once by its id instead.
        super().__init__(sources[0], "#", inbox=False, **kwargs)
        self.sources = tuple(sources)
        self._waiting: list[tuple[Envelope, Message]] = []
        self._writing = False

    def setup(self) -> None:
        exchanges = [event_exchange(exchange_for(source)) for source in self.sources]
        self.queue = Queue(
            QUEUE_NAME, durable=True, auto_delete=False, exclusive=False,
            bindings=[binding(exchange, routing_key="#") for exchange in exchanges],
        )
        # Declaring the queue declares each binding's exchange (with the services' arguments)
        # and binds it, so the feed works before any service has started.
        self.queue_consumer.register_provider(self)
        # ReliableEventHandler.setup without EventHandler.setup (which builds a one-type queue).
        self.setup_failure_paths()

    def handle_message(self, body, message) -> None:
        # Called by the consumer in delivery order: the order the batches keep.
        envelope = self.received(body, message)
        if envelope is None:
            return
        self._waiting.append((envelope, message))
        if not self._writing:
            self._writing = True
            self.container.spawn_managed_thread(self._write_batches, identifier="feed-writer")

    def _write_batches(self) -> None:
        """One batch at a time while events wait; nothing yields between the last check and
        clearing the flag, so an event that arrives meanwhile starts a new writer."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                if not self._write(batch) and len(batch) > 1:
                    for one in batch:
                        self._write([one])
        finally:
            self._writing = False

    def _write(self, batch: Sequence[tuple[Envelope, Message]]) -> bool:
        """Run the handler on `batch`; False when a batch of several failed, left
        unacknowledged for the caller to take apart. A single event that fails takes the
        usual way (retried, then dead-lettered)."""
        done = Event()

        def handle_result(worker_ctx, result=None, exc_info=None):
            if exc_info is None:
                for _, message in batch:
                    self.queue_consumer.ack_message(message)
                self.outcomes["handled"] += len(batch)
                done.send(True)
            elif len(batch) == 1:  # retried or parked, and so acknowledged, the usual way
                result, exc_info = self.handle_result(batch[0][1], worker_ctx, result, exc_info)
                done.send(True)
            else:
                done.send(False)
            return result, exc_info

        try:
            self.container.spawn_worker(self, ([envelope for envelope, _ in batch],), {},
                                        handle_result=handle_result)
        except ContainerBeingKilled:
            for _, message in batch:
                self.queue_consumer.requeue_message(message)
            self.outcomes["requeued"] += len(batch)
            return True
        return done.wait()


feed_events = FeedHandler.decorator


def store(conn: psycopg.Connection, event: Envelope) -> bool:
    """Keep one event, once; False when it was already there (a redelivery or a duplicate).

    Call it inside a transaction: the lock is held until that commits.
    """
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (ORDER_LOCK,))
    data = event.data
    supporter_id = data.get("supporter_id") if event.source == "donations" else None
    if event.source == "donations" and event.type == "supporter_anonymized":
        erase_supporter(conn, str(supporter_id))
    elif supporter_id and _erased(conn, str(supporter_id)):
        data = redacted(data)
    row = conn.execute(
        """
        INSERT INTO staff_events
            (event_id, type, version, source, occurred_at, correlation_id, data)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (event_id) DO NOTHING RETURNING id
        """,
        (event.id, event.type, event.version, event.source, event.occurred_at,
         event.correlation_id, Jsonb(data)),
    ).fetchone()
    return row is not None


def store_all(conn: psycopg.Connection, events: Sequence[Envelope]) -> int:
    """Keep each of `events`, in order, once; returns how many were new."""
    return sum(store(conn, event) for event in events)


def redacted(data: dict[str, Any]) -> dict[str, Any]:
    """An event's data without the supporter's personal data; amounts and ids stay."""
    kept = {key: value for key, value in data.items() if key not in ERASED_LINKS}
    return {**kept, **{key: text for key, text in ERASED_TEXT.items() if key in kept}}


def erase_supporter(conn: psycopg.Connection, supporter_id: str) -> int:
    """Remember the supporter as erased and redact the feed's copies; returns how many."""
    conn.execute("INSERT INTO erased_supporters (supporter_id) VALUES (%s)"
                 " ON CONFLICT DO NOTHING", (supporter_id,))
    rows = conn.execute(
        "SELECT id, data FROM staff_events WHERE source = 'donations'"
        " AND data->>'supporter_id' = %s", (supporter_id,)).fetchall()
    for row in rows:
        conn.execute("UPDATE staff_events SET data = %s WHERE id = %s",
                     (Jsonb(redacted(row["data"])), row["id"]))
    return len(rows)


def _erased(conn: psycopg.Connection, supporter_id: str) -> bool:
    return conn.execute("SELECT 1 FROM erased_supporters WHERE supporter_id::text = %s",
                        (supporter_id,)).fetchone() is not None


def page(conn: psycopg.Connection, after: int = 0, limit: int = DEFAULT_PAGE,
         event_type: str | None = None, source: str | None = None) -> list[dict[str, Any]]:
    """Events after the cursor, oldest first, of one type and one source when given."""
    return conn.execute(
        """
        SELECT id AS cursor, event_id AS id, type, version, source, occurred_at,
               correlation_id, data
        FROM staff_events AS e
        WHERE e.id > %s AND (%s::text IS NULL OR e.type = %s)
          AND (%s::text IS NULL OR e.source = %s)
        ORDER BY e.id LIMIT %s
        """,
        (after, event_type, event_type, source, source, limit),
    ).fetchall()


def prune(conn: psycopg.Connection, retention_days: float) -> int:
    """Forget events received more than `retention_days` ago; returns how many."""
    return conn.execute(
        "DELETE FROM staff_events WHERE received_at < now() - make_interval(secs => %s)",
        (float(retention_days) * 86400,),
    ).rowcount
