"""The outbox relay: publishes committed events to RabbitMQ, in order, at least once.

Each service process runs one. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several
instances of a service share the backlog without publishing a row twice at the same time; a
row is stamped published only after the broker confirmed it. The relay sleeps on
LISTEN/NOTIFY (woken when an outbox write commits) with a periodic sweep as a safety net.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import eventlet
import psycopg
import structlog
from kombu import Connection, Exchange, Producer
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import PERSISTENT
from nameko.extensions import DependencyProvider
from psycopg.rows import dict_row

from servicekit.config import amqp_uri, database_url
from servicekit.events.outbox import NOTIFY_CHANNEL

log = structlog.get_logger("servicekit.relay")

BROKER_ERRORS = (OSError, ConnectionError, EnvironmentError)


def event_exchange(name: str) -> Exchange:
    # Same arguments as Nameko's own declaration; any difference makes the broker refuse one.
    return Exchange(name, type="topic", durable=True, delivery_mode=PERSISTENT)


def make_publisher(uri: str) -> Publisher:
    return Publisher(
        uri,
        use_confirms=True,
        mandatory=True,
        # Fail fast while the broker is away; the rows stay in the outbox and the relay retries.
        retry=True,
        retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5,
                      "interval_max": 0.5},
        transport_options={"max_retries": 1, "interval_start": 0, "interval_step": 0.5,
                           "interval_max": 0.5, "confirm_publish": True},
    )


class ConfirmedPublisher:
    """One long-lived channel in confirm mode, for the relay alone.

    Nameko's Publisher opens and closes a channel for every message, which costs more than the
    publish itself (measured: ~13 ms a message). The relay publishes one message at a time in
    order, so it keeps a single channel; a broker failure drops it and the next call reconnects.
    """

    def __init__(self, uri: str):
        self.uri = uri
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._returned = False

    def _on_return(self, exception, exchange, routing_key, message) -> None:
        # A mandatory message no queue took is returned before the broker confirms it.
        self._returned = True

    def _ready(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.uri, transport_options={"confirm_publish": True},
                                    connect_timeout=5)
            connection.ensure_connection(max_retries=1)
            self._connection = connection
            self._producer = Producer(connection.channel(), on_return=self._on_return)
        return self._producer

    def publish(self, body: dict, *, exchange: Exchange, routing_key: str, message_id: str,
                headers: dict) -> None:
        """Return once the broker confirmed the message; UndeliverableMessage if unroutable."""
        self._returned = False
        try:
            self._ready().publish(
                body, exchange=exchange, routing_key=routing_key, declare=[exchange],
                mandatory=True, delivery_mode=PERSISTENT, serializer="json",
                message_id=message_id, headers=headers, retry=False,
            )
        except Exception:
            self.close()
            raise
        if self._returned:
            raise UndeliverableMessage()

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass


@dataclass
class BatchResult:
    published: int = 0
    unrouted: int = 0
    failed: bool = False
    error: str | None = None


def publish_batch(
    conn: psycopg.Connection, publisher: ConfirmedPublisher, limit: int = 200
) -> BatchResult:
    """Publish up to `limit` unpublished rows in id order on one transaction of `conn`.

    Stops at the first broker failure so that later events never overtake earlier ones.
    """
    result = BatchResult()
    with conn.transaction():
        rows = conn.execute(
            """
            SELECT id, event_id, exchange, routing_key, envelope FROM outbox
            WHERE published_at IS NULL ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
            """,
            (limit,),
        ).fetchall()
        published, unrouted = [], []
        for row in rows:
            envelope = row["envelope"]
            try:
                exchange = event_exchange(row["exchange"])
                publisher.publish(
                    envelope,
                    exchange=exchange,
                    routing_key=row["routing_key"],
                    message_id=str(row["event_id"]),
                    headers={"nameko.correlation_id": envelope.get("correlation_id")},
                )
            except UndeliverableMessage:
                # No queue is bound for this type yet: keep it visible and replayable, not lost.
                unrouted.append(row["id"])
                continue
            except Exception as exc:  # noqa: BLE001 - any broker failure leaves the rest for later
                conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = %s WHERE id = %s",
                    (type(exc).__name__ + ": " + str(exc)[:500], row["id"]),
                )
                result.failed = True
                result.error = f"{type(exc).__name__}: {exc}"[:300]
                break
            published.append(row["id"])
        if published:
            conn.execute(
                "UPDATE outbox SET published_at = clock_timestamp(), last_error = NULL"
                " WHERE id = ANY(%s)",
                (published,),
            )
        if unrouted:
            conn.execute(
                "UPDATE outbox SET published_at = clock_timestamp(), unrouted = true"
                " WHERE id = ANY(%s)",
                (unrouted,),
            )
    result.published, result.unrouted = len(published), len(unrouted)
    return result


class OutboxRelay(DependencyProvider):
    """Runs the relay loop inside the service container for as long as the service runs."""

    def __init__(self, batch_size: int = 200):
        self.batch_size = batch_size
        self._running = False
        self._thread = None

    def setup(self) -> None:
        config = self.container.config
        self.db_url = database_url(config)
        self.publisher = ConfirmedPublisher(amqp_uri(config))
        self.sweep_seconds = float(config.get("OUTBOX_SWEEP_SECONDS", 5))

    def start(self) -> None:
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox-relay")

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.kill()
            self._thread = None
        self.publisher.close()

    kill = stop

    def _run(self) -> None:
        backoff = 0.2
        while self._running:
            try:
                self._serve()
                backoff = 0.2
            except (psycopg.OperationalError, *BROKER_ERRORS) as exc:
                log.warning("outbox relay interrupted", error=str(exc)[:300], retry_in=backoff)
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    def _serve(self) -> None:
        with psycopg.connect(self.db_url, autocommit=True) as listener, psycopg.connect(
            self.db_url, row_factory=dict_row
        ) as conn:
            listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
            idle_since = time.monotonic()
            while self._running:
                result = publish_batch(conn, self.publisher, self.batch_size)
                if result.published or result.unrouted:
                    log.debug("outbox relayed", published=result.published,
                              unrouted=result.unrouted)
                if result.failed:
                    raise ConnectionError(f"publish failed: {result.error}")
                if result.published + result.unrouted >= self.batch_size:
                    continue  # more waiting: no need to sleep
                # Sleep until a commit notifies us, or until the sweep is due.
                for _ in listener.notifies(timeout=self.sweep_seconds, stop_after=1):
                    pass
                if time.monotonic() - idle_since > 60:
                    listener.execute("SELECT 1")  # keep a dead listener from going unnoticed
                    idle_since = time.monotonic()
