"""The transactional outbox: events are written in the same transaction as the state change.

Nothing is published here; the relay does that after commit, so an event exists if and only
if the change it describes was committed.
"""

from __future__ import annotations

from typing import Any

import psycopg
from nameko.extensions import DependencyProvider
from psycopg.types.json import Jsonb

from servicekit.events.envelope import Envelope

NOTIFY_CHANNEL = "jii_outbox"


def write_event(conn: psycopg.Connection, envelope: Envelope) -> Envelope:
    """Add one event to the outbox on `conn`'s open transaction."""
    # One round trip for both: a writer may hold locks until commit (a receipt counter).
    # pg_notify is transactional like NOTIFY: the relay is woken on commit, never for a
    # rolled-back write.
    conn.execute(
        """
        WITH written AS (
            INSERT INTO outbox (event_id, exchange, routing_key, envelope)
            VALUES (%s, %s, %s, %s) RETURNING id
        )
        SELECT pg_notify(%s, '') FROM written
        """,
        (envelope.id, envelope.exchange, envelope.type, Jsonb(envelope.to_dict()), NOTIFY_CHANNEL),
    )
    return envelope


class OutboxWriter:
    """Bound to one worker: stamps its service as source and carries its correlation id."""

    def __init__(self, source: str, correlation_id: str | None):
        self.source = source
        self.correlation_id = correlation_id

    def add(
        self, conn: psycopg.Connection, event_type: str, data: dict[str, Any], version: int = 1
    ) -> Envelope:
        envelope = Envelope.new(
            self.source, event_type, data, correlation_id=self.correlation_id, version=version
        )
        return write_event(conn, envelope)


class Outbox(DependencyProvider):
    def get_dependency(self, worker_ctx) -> OutboxWriter:
        return OutboxWriter(
            self.container.service_name, worker_ctx.data.get("correlation_id")
        )


def outbox_status(conn: psycopg.Connection) -> dict[str, Any]:
    """Backlog size and age, for `jii outbox status` and metrics."""
    row = conn.execute(
        """
        SELECT count(*) FILTER (WHERE published_at IS NULL) AS pending,
               extract(epoch FROM now() - min(created_at) FILTER (WHERE published_at IS NULL))
                   AS oldest_pending_seconds,
               count(*) FILTER (WHERE unrouted) AS unrouted,
               count(*) FILTER (WHERE published_at IS NOT NULL) AS published,
               max(published_at) AS last_published_at
        FROM outbox
        """
    ).fetchone()
    return dict(row) if not isinstance(row, dict) else row
