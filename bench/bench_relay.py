"""Relay benchmark: how fast the outbox relay drains a backlog (after a broker outage, say).

N committed outbox rows are published by `servicekit.events.relay.publish_batch` until none
is left: confirmed, persistent, mandatory, and stamped published. Printed beside a floor
measured in the same run on the same broker: the same N messages published on one kombu
channel in confirm mode, with the confirms awaited once at the end, and no database at all.
Figures are medians over repeats; the ratio is what to watch.

    .venv/bin/python bench/bench_relay.py [--rows 2000] [--repeats 3]

Needs the local RabbitMQ (with its management API) and PostgreSQL; makes its own vhost and
database and removes them.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

from benchkit import PG, Vhost  # noqa: E402
from kombu import Connection, Exchange, Queue  # noqa: E402
from servicekit.db import connect  # noqa: E402
from servicekit.events.relay import ConfirmedPublisher, event_exchange, publish_batch  # noqa: E402
from servicekit.migrations import drop_database, migrate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXCHANGE = "bench.events"


def envelope(i: int) -> dict:
    return {"id": str(uuid.uuid4()), "type": "tick", "version": 1, "source": "bench",
            "occurred_at": "2026-01-01T00:00:00+00:00", "correlation_id": f"c{i}",
            "data": {"n": i, "text": "x" * 400}}  # about the size of a payment event


def fill_outbox(db_url: str, rows: int) -> None:
    with connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE outbox")
        cur.executemany(
            "INSERT INTO outbox (event_id, exchange, routing_key, envelope)"
            " VALUES (%s, %s, %s, %s)",
            [(uuid.uuid4(), EXCHANGE, "tick", json.dumps(envelope(i))) for i in range(rows)])


def run_relay(uri: str, db_url: str, rows: int) -> float:
    fill_outbox(db_url, rows)
    publisher = ConfirmedPublisher(uri)
    try:
        with connect(db_url) as conn:
            started = time.perf_counter()
            while publish_batch(conn, publisher).published:
                pass
            elapsed = time.perf_counter() - started
            left = conn.execute("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
                                ).fetchone()["n"]
    finally:
        publisher.close()
    if left:
        raise RuntimeError(f"{left} rows left unpublished")
    return rows / elapsed


def run_floor(uri: str, rows: int) -> float:
    bodies = [envelope(i) for i in range(rows)]
    acked = []
    with Connection(uri) as connection:
        channel = connection.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(lambda tag, multiple: acked.append(tag))
        exchange = event_exchange(EXCHANGE)(channel)
        started = time.perf_counter()
        for body in bodies:
            channel.basic_publish(
                channel.prepare_message(json.dumps(body), content_type="application/json",
                                        content_encoding="utf-8",
                                        properties={"delivery_mode": 2}),
                exchange=exchange.name, routing_key="tick", mandatory=True)
        while not acked or max(acked) < rows:
            connection.drain_events(timeout=10)
        return rows / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    vhost = Vhost()
    db_url = f"{PG}/jii_bench_relay_{uuid.uuid4().hex[:8]}"
    migrate(db_url, ROOT / "libs/servicekit/tests/migrations")
    queue = Queue("bench.sink", exchange=Exchange(EXCHANGE, type="topic", durable=True),
                  routing_key="#", durable=True)
    relay, floor = [], []
    try:
        with Connection(vhost.uri) as connection:
            queue(connection.channel()).declare()
        for _ in range(args.repeats):
            relay.append(run_relay(vhost.uri, db_url, args.rows))
            floor.append(run_floor(vhost.uri, args.rows))
            with Connection(vhost.uri) as connection:
                queue(connection.channel()).purge()
    finally:
        vhost.delete()
        drop_database(db_url)
    relay_rate, floor_rate = statistics.median(relay), statistics.median(floor)
    print(f"relay drain benchmark: {args.rows} rows, median of {args.repeats} runs")
    print(f"{'':10} {'events/s':>10}")
    print(f"{'relay':10} {relay_rate:10.0f}")
    print(f"{'floor':10} {floor_rate:10.0f}")
    print(f"{'ratio':10} {relay_rate / floor_rate:9.2f}x  (relay / floor)")


if __name__ == "__main__":
    main()
