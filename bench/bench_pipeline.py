"""Pipeline benchmark (DESIGN §8): a signed Stripe webhook into the gateway → the donations
ledger → its outbox → RabbitMQ → notifications → a thank-you e-mail accepted by SMTP.

Printed beside a floor measured in the same run on the same broker and database: one
transactional write, one confirmed persistent publish and one transactional consume, written
directly with psycopg and kombu. Figures are medians over repeats; the ratios are what to watch.

    .venv/bin/python bench/bench_pipeline.py [--events 300] [--concurrency 10] [--repeats 3]

Needs the local RabbitMQ (with its management API) and PostgreSQL; starts everything else
itself on loopback and removes what it created.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import email  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from email import policy  # noqa: E402
from pathlib import Path  # noqa: E402

import eventlet.queue  # noqa: E402
import requests  # noqa: E402
from benchkit import PG, Vhost, percentile  # noqa: E402
from donations.service import DonationsService  # noqa: E402
from gateway.service import GatewayService  # noqa: E402
from kombu import Connection, Exchange, Producer, Queue  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from notifications.service import NotificationsService  # noqa: E402
from servicekit.db import connect  # noqa: E402
from servicekit.devtools.localstripe_server import stripe_signature  # noqa: E402
from servicekit.devtools.smtp_sink import start_smtp_sink, stop  # noqa: E402
from servicekit.migrations import drop_database, migrate  # noqa: E402
from servicekit.testing import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SECRET = "whsec_bench"
STAGES = ("webhook→answered", "answered→published", "published→consumed", "consumed→mail")



def summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    return {"rate": len(latencies) / elapsed, "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000}



def seed_pledges(url: str, count: int) -> None:
    with connect(url) as conn:
        for i in range(count):
            supporter = str(uuid.uuid4())
            conn.execute("INSERT INTO supporters (id, name, email, locale) VALUES (%s,%s,%s,%s)",
                         (supporter, f"Supporter {i}", f"s{i}@example.com", "ja"))
            conn.execute("INSERT INTO pledges (id, supporter_id, amount, stripe_subscription_id)"
                         " VALUES (%s, %s, 3000, %s)", (str(uuid.uuid4()), supporter, f"sub_{i}"))
        conn.commit()


def signed_invoice(run: int, i: int) -> tuple[bytes, str]:
    now = int(time.time())
    body = json.dumps({
        "id": f"evt_{run}_{i}", "object": "event", "type": "invoice.payment_succeeded",
        "created": now, "data": {"object": {
            "id": f"in_{run}_{i}", "object": "invoice", "subscription": f"sub_{i}",
            "amount_paid": 3000, "currency": "jpy", "status": "paid", "created": now}},
    }).encode()
    return body, stripe_signature(body, SECRET, now)


def received(maildir: Path, seen: set[Path]) -> list[tuple[str, float]]:
    new = []
    for path in maildir.glob("*.eml"):
        if path not in seen:
            seen.add(path)
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            new.append((message["To"].addresses[0].addr_spec, path.stat().st_mtime))
    return new


def stages(donations_db: str, notifications_db: str, run: int, sent_at: dict[str, float],
           answered_at: dict[str, float], mailed_at: dict[str, float]) -> dict[str, float]:
    """Median milliseconds spent in each stage, from the timestamps each side recorded.

    The webhook is answered after the ledger's transaction committed, so the answer marks the
    commit; the ledger's own created_at is its transaction's start, which would count the whole
    webhook transaction as relay time.
    """
    ledger = {row["email"]: row for row in _rows(donations_db, """
        SELECT s.email, extract(epoch FROM o.published_at) AS published
        FROM payments p JOIN supporters s ON s.id = p.supporter_id
        JOIN outbox o ON o.routing_key = 'payment_succeeded'
                     AND o.envelope->'data'->>'payment_id' = p.id::text
        WHERE p.stripe_invoice_id LIKE %s""", (f"in_{run}_%",))}
    consumed = {row["recipient"]: float(row["consumed"]) for row in _rows(notifications_db, """
        SELECT recipient, extract(epoch FROM created_at) AS consumed FROM deliveries
        WHERE kind = %s""", ("pledge_welcome" if run == 0 else "donation_thanks",))}
    spans: dict[str, list[float]] = {name: [] for name in STAGES}
    for to, row in ledger.items():
        spans["webhook→answered"].append(answered_at[to] - sent_at[to])
        spans["answered→published"].append(float(row["published"]) - answered_at[to])
        if to in consumed:
            spans["published→consumed"].append(consumed[to] - float(row["published"]))
            spans["consumed→mail"].append(mailed_at[to] - consumed[to])
    return {name: statistics.median(values) * 1000 for name, values in spans.items() if values}


def _rows(url: str, sql: str, params: tuple) -> list[dict]:
    with connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def run_pipeline(gateway: str, maildir: Path, run: int, events: int, concurrency: int,
                 dbs: tuple[str, str]) -> dict:
    sent_at: dict[str, float] = {}
    answered_at: dict[str, float] = {}

    def send(i: int) -> None:
        body, signature = signed_invoice(run, i)
        sent_at[f"s{i}@example.com"] = time.time()
        response = requests.post(f"{gateway}/api/webhooks/stripe", data=body, timeout=30,
                                 headers={"Stripe-Signature": signature,
                                          "Content-Type": "application/json"})
        response.raise_for_status()
        answered_at[f"s{i}@example.com"] = time.time()

    seen = set(maildir.glob("*.eml"))
    started = time.time()
    pool = eventlet.GreenPool(concurrency)
    for i in range(events):
        pool.spawn_n(send, i)
    mailed_at: dict[str, float] = {}
    deadline = time.monotonic() + 300
    while len(mailed_at) < events and time.monotonic() < deadline:
        eventlet.sleep(0.05)
        mailed_at.update(received(maildir, seen))
    pool.waitall()
    if len(mailed_at) < events:
        raise RuntimeError(f"only {len(mailed_at)} of {events} e-mails arrived")
    result = summary([mailed_at[to] - sent_at[to] for to in mailed_at], time.time() - started)
    result.update(stages(*dbs, run, sent_at, answered_at, mailed_at))
    return result


def run_floor(uri: str, db_url: str, events: int, concurrency: int) -> dict:
    """The least the pipeline must do: a transactional write, a confirmed persistent publish,
    a transactional consume — the same number of times, at the same concurrency."""
    exchange = Exchange("floor.events", type="topic", durable=True)
    queue = Queue(f"floor-{uuid.uuid4().hex[:6]}", exchange, routing_key="tick", durable=True)
    done: dict[str, float] = {}
    sent_at: dict[str, float] = {}
    with connect(db_url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS floor (id TEXT PRIMARY KEY)")
        conn.commit()

    def consume() -> None:
        with Connection(uri) as connection, connect(db_url) as db:
            def on_message(body, message):
                with db.transaction():
                    db.execute("INSERT INTO floor (id) VALUES (%s) ON CONFLICT DO NOTHING",
                               (body["id"],))
                message.ack()
                done[body["id"]] = time.time()

            with connection.Consumer(queue, callbacks=[on_message], prefetch_count=10):
                while len(done) < events:
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        pass

    # One database and one broker connection per concurrent producer, as a pool would give.
    slots = eventlet.queue.Queue()
    for _ in range(concurrency):
        connection = Connection(uri, transport_options={"confirm_publish": True})
        slots.put((connect(db_url), connection, Producer(connection)))

    def produce(i: int) -> None:
        key = f"{uuid.uuid4()}"
        db, _, producer = slots.get()
        try:
            sent_at[key] = time.time()
            with db.transaction():
                db.execute("INSERT INTO floor (id) VALUES (%s)", (f"w-{key}",))
            producer.publish({"id": key}, exchange=exchange, routing_key="tick",
                             declare=[exchange, queue], delivery_mode=2)
        finally:
            slots.put((db, _, producer))

    with Connection(uri) as connection:
        queue(connection.default_channel).declare()
    consumer = eventlet.spawn(consume)
    started = time.time()
    pool = eventlet.GreenPool(concurrency)
    for i in range(events):
        pool.spawn_n(produce, i)
    pool.waitall()
    consumer.wait()
    while not slots.empty():
        db, connection, _ = slots.get()
        db.close()
        connection.release()
    return summary([done[key] - sent_at[key] for key in sent_at], time.time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    vhost = Vhost()
    suffix = uuid.uuid4().hex[:8]
    donations_db = f"{PG}/jii_bench_donations_{suffix}"
    notifications_db = f"{PG}/jii_bench_notifications_{suffix}"
    gateway_db = f"{PG}/jii_bench_gateway_{suffix}"
    migrate(gateway_db, ROOT / "gateway/migrations")
    migrate(donations_db, ROOT / "services/donations/migrations")
    migrate(notifications_db, ROOT / "services/notifications/migrations")
    maildir = Path(tempfile.mkdtemp(prefix="jii-bench-mail-"))
    smtp_port, gateway_address = free_port(), f"127.0.0.1:{free_port()}"
    sink = start_smtp_sink(smtp_port, maildir, log=subprocess.DEVNULL)
    base = {"AMQP_URI": vhost.uri, "LOG_JSON": True, "LOG_LEVEL": "WARNING",
            "max_workers": 10, "OUTBOX_SWEEP_SECONDS": 5}
    runners = []
    try:
        for config, service in (
            ({**base, "DATABASE_URL": notifications_db, "SMTP_PORT": smtp_port},
             NotificationsService),
            ({**base, "DATABASE_URL": donations_db, "STRIPE_API_KEY": "sk_test_unused",
              "STRIPE_API_BASE": "http://127.0.0.1:9", "STRIPE_WEBHOOK_SECRET": SECRET},
             DonationsService),
            ({**base, "DATABASE_URL": gateway_db, "WEB_SERVER_ADDRESS": gateway_address,
              "RPC_TIMEOUT_SECONDS": 30,
              "STAFF_TOKEN_SECRET": "bench-secret-bench-secret-bench-secret"}, GatewayService),
        ):
            runner = ServiceRunner(config)
            runner.add_service(service)
            runner.start()
            runners.append(runner)
        seed_pledges(donations_db, args.events)
        pipeline, floor = [], []
        for run in range(args.repeats):
            pipeline.append(run_pipeline(f"http://{gateway_address}", maildir, run,
                                         args.events, args.concurrency,
                                         (donations_db, notifications_db)))
            floor.append(run_floor(vhost.uri, donations_db, args.events, args.concurrency))
    finally:
        for runner in runners:
            runner.kill()
        stop(sink)
        vhost.delete()
        drop_database(donations_db)
        drop_database(notifications_db)
        drop_database(gateway_db)

    def median(rows: list[dict], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    print(f"pipeline benchmark: {args.events} events, concurrency {args.concurrency}, "
          f"median of {args.repeats} runs")
    print(f"{'':10} {'events/s':>10} {'p50 ms':>10} {'p99 ms':>10}")
    for name, rows in (("pipeline", pipeline), ("floor", floor)):
        print(f"{name:10} {median(rows, 'rate'):10.1f} {median(rows, 'p50_ms'):10.1f} "
              f"{median(rows, 'p99_ms'):10.1f}")
    print(f"{'ratio':10} {median(pipeline, 'rate') / median(floor, 'rate'):10.2f}x "
          f"{median(pipeline, 'p50_ms') / median(floor, 'p50_ms'):9.1f}x "
          f"{median(pipeline, 'p99_ms') / median(floor, 'p99_ms'):9.1f}x  (pipeline / floor)")
    print("pipeline stages, median ms:")
    for stage in STAGES:
        if all(stage in row for row in pipeline):
            print(f"  {stage:20} {median(pipeline, stage):8.1f}")


if __name__ == "__main__":
    main()
