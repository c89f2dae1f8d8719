"""Pipeline benchmark (DESIGN §8): a signed Stripe webhook into the gateway → the donations
ledger → its outbox → RabbitMQ → notifications → a thank-you e-mail accepted by SMTP.

Run two ways: as deployed (each service a `nameko run` process of its own, wired by the same
composition root, servicekit.platform, and started by the same supervisor as `jii dev run`),
and with every service in the benchmark's process, wired by the same root.
Printed beside a floor measured in the same run on the same broker and database: one
transactional write, one confirmed persistent publish and one transactional consume, written
directly with psycopg and kombu. Figures are medians over repeats; the ratios are what to watch.

    .venv/bin/python bench/bench_pipeline.py [--events 300] [--concurrency 10] [--repeats 3]
        [--modes deployed,one-process] [--profile] [--sustain-rate 50 --sustain-seconds 60]

`--profile` prints a cProfile of each process: as deployed, one per stage (the gateway takes
the webhook, donations writes the ledger and relays its outbox, notifications consumes and
mails). `--sustain-rate` also sends webhooks at a fixed rate, whatever the answers, and prints
the backlog every 5 s.

Needs the local RabbitMQ (with its management API) and PostgreSQL; starts everything else
itself on loopback and removes what it created.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import email  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import replace  # noqa: E402
from email import policy  # noqa: E402
from pathlib import Path  # noqa: E402

import bare_services  # noqa: E402
import eventlet.queue  # noqa: E402
import requests  # noqa: E402
from benchkit import (  # noqa: E402
    MANAGEMENT,
    PG,
    Vhost,
    fresh_databases,
    percentile,
    service_runner,
)
from dbcount import DbCounter  # noqa: E402
from jii_cli.devrun import ProcessSpec, Supervisor, nameko_executable, wait_ready  # noqa: E402
from kombu import Connection, Exchange, Producer, Queue  # noqa: E402
from servicekit import platform  # noqa: E402
from servicekit.db import connect  # noqa: E402
from servicekit.devtools.localstripe_server import stripe_signature  # noqa: E402
from servicekit.devtools.smtp_sink import start_smtp_sink, stop  # noqa: E402
from servicekit.migrations import drop_database, ensure_database  # noqa: E402
from servicekit.testing import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SECRET = "whsec_bench"
STAGES = ("webhook→answered", "answered→published", "published→consumed", "consumed→mail")
# The processes the pipeline runs through, and the stages each one does.
STAGE_OF = {"gateway": "webhook→answered",
            "donations": "the ledger's transaction and answered→published (the relay)",
            "notifications": "published→consumed→mail"}
RUN = tuple(platform.in_start_order(STAGE_OF))


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


def stages(dbs: dict[str, str], run: int, sent_at: dict[str, float],
           answered_at: dict[str, float], mailed_at: dict[str, float]) -> dict[str, float]:
    """Median milliseconds spent in each stage, from the timestamps each side recorded.

    The webhook is answered after the ledger's transaction committed, so the answer marks the
    commit; the ledger's own created_at is its transaction's start, which would count the whole
    webhook transaction as relay time.
    """
    ledger = {row["email"]: row for row in _rows(dbs["donations"], """
        SELECT s.email, extract(epoch FROM o.published_at) AS published
        FROM payments p JOIN supporters s ON s.id = p.supporter_id
        JOIN outbox o ON o.routing_key = 'payment_succeeded'
                     AND o.envelope->'data'->>'payment_id' = p.id::text
        WHERE p.stripe_invoice_id LIKE %s""", (f"in_{run}_%",))}
    # A pledge's first payment is welcomed, the later ones thanked; only this run's.
    consumed = {row["recipient"]: float(row["consumed"]) for row in _rows(dbs["notifications"], """
        SELECT recipient, extract(epoch FROM created_at) AS consumed FROM deliveries
        WHERE kind IN ('pledge_welcome', 'donation_thanks')
          AND created_at >= to_timestamp(%s)""", (min(sent_at.values()),))}
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
                 dbs: dict[str, str] | None) -> dict:
    """Webhooks sent `concurrency` at a time; with the platform's `dbs`, also each stage's
    share."""
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
    if dbs is not None:
        result.update(stages(dbs, run, sent_at, answered_at, mailed_at))
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


# --- the services, two ways --------------------------------------------------------------

def process_cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (Linux: /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Deployed:
    """The services as `jii dev run` (`make run`) starts them: its supervisor, each service a
    `nameko run` process of its own reading its config.yml, with the variables the platform's
    composition root gives it; only the ones the pipeline needs. With `profile_dir`, each runs
    under cProfile and writes its profile there when stopped."""

    name = "deployed"
    stages = True  # the platform's tables tell each stage's share

    def __init__(self, inputs: platform.Inputs, gateway: str, profile_dir: Path | None) -> None:
        self.profiled = profile_dir is not None
        self.supervisor = Supervisor(ROOT, process_env(platform.environment(inputs, RUN)),
                                     width=13)
        nameko = nameko_executable()
        host, port = inputs.gateway_address.rsplit(":", 1)
        self.pids = start_processes(self.supervisor, [
            ProcessSpec(name, platform.command(name, nameko),
                        ready=(host, int(port)) if name == "gateway" else None)
            for name in RUN], profile_dir)
        wait_services(gateway)

    def cpu(self) -> dict[str, float]:
        return {name: process_cpu_seconds(pid) for name, pid in self.pids.items()}

    def profiling(self, on: bool) -> None:
        if not self.profiled:
            return  # SIGUSR1 would end a process that is not under profiled.py
        for pid in self.pids.values():
            os.kill(pid, signal.SIGUSR1 if on else signal.SIGUSR2)

    def stop(self) -> None:
        self.supervisor.stop_all()


def process_env(variables: dict[str, str]) -> dict[str, str]:
    """The environment of a service process the bench starts: this one's, with `variables`."""
    return {**os.environ, "PYTHONUNBUFFERED": "1", **variables,
            "PYTHONWARNINGS": "ignore:pkg_resources is deprecated:UserWarning"}


def start_processes(supervisor: Supervisor, specs: list[ProcessSpec],
                    profile_dir: Path | None) -> dict[str, int]:
    """Start each process in turn, each once the one before is ready; with `profile_dir`,
    under `bench/profiled.py`. Returns their pids by name."""
    pids = {}
    for spec in specs:
        if profile_dir is not None:
            spec = replace(spec, argv=[sys.executable, str(ROOT / "bench/profiled.py"),
                                       str(profile_dir / f"{spec.name}.prof"), *spec.argv])
        proc = supervisor.start(spec)
        pids[spec.name] = proc.pid
        wait_ready(supervisor, spec, proc, timeout=120)
    return pids


class BareNameko(Deployed):
    """The same hops in bare Nameko (`bench/bare_services.py`), each its own `nameko run`
    process: an `@http` endpoint making one RPC, one row written and one event dispatched, one
    inbox row written and one e-mail sent. What Nameko itself costs, with none of the
    platform's work: the platform's pipeline cannot be faster than this."""

    name = "bare Nameko"
    stages = False

    def __init__(self, inputs: platform.Inputs, gateway: str, profile_dir: Path | None) -> None:
        self.profiled = profile_dir is not None
        self.database = f"{PG}/jii_bench_bare_{uuid.uuid4().hex[:8]}"
        ensure_database(self.database)
        with connect(self.database) as conn:
            for sql in bare_services.TABLES:
                conn.execute(sql)
            conn.commit()
        self.folder = Path(tempfile.mkdtemp(prefix="jii-bench-bare-"))
        config = self.folder / "config.yml"
        config.write_text(json.dumps({  # JSON is YAML
            "AMQP_URI": inputs.amqp_uri, "WEB_SERVER_ADDRESS": inputs.gateway_address,
            "BARE_DB_URL": self.database, "BARE_SMTP_PORT": inputs.smtp_port}))
        self.supervisor = Supervisor(ROOT / "bench", process_env({}), width=13)
        nameko = nameko_executable()
        host, port = inputs.gateway_address.rsplit(":", 1)
        services = {"mailer": "BareMailer", "ledger": "BareLedger", "gateway": "BareGateway"}
        self.pids = start_processes(self.supervisor, [
            ProcessSpec(name, [nameko, "run", "--config", str(config),
                               f"bare_services:{cls}"],
                        ready=(host, int(port)) if name == "gateway" else None)
            for name, cls in services.items()], profile_dir)
        wait_queues(inputs.amqp_uri, ("rpc-bare_ledger", "evt-bare_ledger-taken--bare_mailer"))

    def stop(self) -> None:
        super().stop()
        drop_database(self.database)
        shutil.rmtree(self.folder, ignore_errors=True)


def wait_queues(amqp_uri: str, prefixes: tuple[str, ...], timeout: float = 60) -> None:
    """Until the broker has a queue starting with each prefix (consumers declare theirs as
    they start, and an event published before its queue exists is dropped)."""
    vhost = amqp_uri.rsplit("/", 1)[1]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = [queue["name"] for queue in requests.get(
            f"{MANAGEMENT}/queues/{vhost}", auth=("guest", "guest"), timeout=5).json()]
        if all(any(name.startswith(prefix) for name in names) for prefix in prefixes):
            return
        time.sleep(0.2)
    raise RuntimeError(f"no queues {prefixes} after {timeout:g}s")


class InProcess:
    """The same services with the same config.yml files and inputs, all in the benchmark's
    process."""

    name = "one process"
    stages = True

    def __init__(self, inputs: platform.Inputs, gateway: str, profile_dir: Path | None) -> None:
        self.runners = list(platform.start_in_process(
            platform.configs(inputs, RUN), service_runner).values())
        wait_services(gateway)
        self.profile = cProfile.Profile() if profile_dir is not None else None
        self.profile_dir = profile_dir
        self.db = DbCounter()
        self.db.install()

    def cpu(self) -> dict[str, float]:
        return {"services and client": process_cpu_seconds(os.getpid())}

    def profiling(self, on: bool) -> None:
        self.db.on = on
        if self.profile is None:
            return
        if on:
            self.profile.enable()
        else:
            self.profile.disable()
            self.profile.dump_stats(str(self.profile_dir / "one-process.prof"))

    def stop(self) -> None:
        self.db.uninstall()
        for runner in self.runners:
            runner.kill()


def wait_services(gateway: str, timeout: float = 120) -> None:
    """Until the gateway's readiness says donations and notifications answer their ping (their
    consumers start with them); matching and programs are not run here."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            services = requests.get(f"{gateway}/readyz", timeout=5).json().get("services", {})
            if all(services.get(name) == "ok" for name in ("donations", "notifications")):
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError("donations and notifications did not become ready")


# --- sustained load ----------------------------------------------------------------------

def run_sustained(gateway: str, maildir: Path, run: int, rate: float, seconds: float) -> dict:
    """Webhooks sent at a fixed rate whatever the answers (an open loop, as Stripe sends), with
    the backlog (sent, not yet mailed) sampled every 5 s, then the time to drain it."""
    total = int(rate * seconds)
    failures: list[str] = []
    seen = set(maildir.glob("*.eml"))

    def send(i: int) -> None:
        body, signature = signed_invoice(run, i)
        try:
            response = requests.post(f"{gateway}/api/webhooks/stripe", data=body, timeout=60,
                                     headers={"Stripe-Signature": signature,
                                              "Content-Type": "application/json"})
            if response.status_code >= 300:
                failures.append(f"{response.status_code} {response.text[:200]}")
        except requests.RequestException as exc:
            failures.append(str(exc))

    pool = eventlet.GreenPool(2000)
    mailed = 0
    samples: list[tuple[float, int]] = []  # (seconds since start, backlog)
    started = time.monotonic()
    next_sample = started + 5
    for i in range(total):
        due = started + i / rate
        while (now := time.monotonic()) < due:
            eventlet.sleep(min(due - now, 0.02))
        pool.spawn_n(send, i)
        if now >= next_sample:
            mailed += len(received(maildir, seen))
            samples.append((now - started, i + 1 - mailed))
            next_sample += 5
    sent_for = time.monotonic() - started
    deadline = time.monotonic() + 600
    while mailed < total and time.monotonic() < deadline:
        eventlet.sleep(0.5)
        mailed += len(received(maildir, seen))
    pool.waitall()
    drained_after = time.monotonic() - started - sent_for
    half = [backlog for at, backlog in samples if at >= seconds / 2]
    return {"offered": total / sent_for, "samples": samples, "drain_s": drained_after,
            "mailed": mailed, "failures": failures,
            "growth_per_s": (half[-1] - half[0]) / (seconds / 2) if len(half) > 1 else 0.0}


# --- reporting ---------------------------------------------------------------------------

def print_profiles(profile_dir: Path, top: int) -> None:
    for path in sorted(profile_dir.glob("*.prof")):
        stage = STAGE_OF.get(path.stem, "every stage and the client")
        print(f"\n=== CPU profile: {path.stem} ({stage}), top {top} by own time ===")
        stats = pstats.Stats(str(path))
        stats.sort_stats("tottime").print_stats(top)


def report(mode: str, pipeline: list[dict], floor: list[dict], cpu: dict[str, float],
           events: int) -> None:
    def median(rows: list[dict], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    print(f"\n{mode}:")
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
    print("CPU per event, ms (all repeats): " + ", ".join(
        f"{name} {seconds * 1000 / (events * len(pipeline)):.1f}"
        for name, seconds in cpu.items()))


def report_sustained(mode: str, result: dict, rate: float) -> None:
    samples = " ".join(f"{at:.0f}s:{backlog}" for at, backlog in result["samples"])
    print(f"{mode}: sustained {rate:g}/s offered ({result['offered']:.1f}/s achieved), "
          f"backlog (sent, not yet mailed) {samples}; growth over the second half "
          f"{result['growth_per_s']:+.2f} events/s; drained {result['drain_s']:.1f} s after the "
          f"last send; {result['mailed']} mailed, {len(result['failures'])} failed requests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", default="deployed,one-process",
                        help="deployed (each service its own process, as `jii dev run`), "
                             "one-process, bare (the same hops in bare Nameko, each its own "
                             "process), comma-separated")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of each process (each stage when deployed)")
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument("--sustain-rate", type=float, default=0,
                        help="also send this many webhooks a second, open loop (0: skip)")
    parser.add_argument("--sustain-seconds", type=float, default=60)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    modes = {"deployed": Deployed, "one-process": InProcess, "bare": BareNameko}
    chosen = [modes[name.strip()] for name in args.modes.split(",")]

    vhost = Vhost()
    dbs = fresh_databases(RUN)
    maildir = Path(tempfile.mkdtemp(prefix="jii-bench-mail-"))
    profile_dir = Path(tempfile.mkdtemp(prefix="jii-bench-prof-")) if args.profile else None
    smtp_port, gateway_port = free_port(), free_port()
    gateway = f"http://127.0.0.1:{gateway_port}"
    # Both ways read the services' own config.yml files; these are the only inputs.
    inputs = platform.Inputs(
        amqp_uri=vhost.uri, databases=dbs, gateway_address=f"127.0.0.1:{gateway_port}",
        smtp_host="127.0.0.1", smtp_port=smtp_port,
        # No card is charged here.
        stripe_base="http://127.0.0.1:9", stripe_key="sk_test_unused",
        secrets={"STRIPE_WEBHOOK_SECRET": SECRET,
                 "STAFF_TOKEN_SECRET": "bench-secret-bench-secret-bench-secret"},
        settings={"LOG_LEVEL": "WARNING", "RPC_TIMEOUT_SECONDS": 30, "DLQ_WATCH_SECONDS": 3600})
    sink = start_smtp_sink(smtp_port, maildir, log=subprocess.DEVNULL)
    results = []
    run = 0
    try:
        seed_pledges(dbs["donations"], max(args.events, int(args.sustain_rate
                                                            * args.sustain_seconds)))
        for mode in chosen:
            services = mode(inputs, gateway, profile_dir)
            pipeline, floor = [], []
            try:
                cpu = dict.fromkeys(services.cpu(), 0.0)
                for _ in range(args.repeats):
                    before = services.cpu()
                    services.profiling(True)
                    pipeline.append(run_pipeline(gateway, maildir, run, args.events,
                                                 args.concurrency,
                                                 dbs if services.stages else None))
                    services.profiling(False)
                    for name, seconds in services.cpu().items():
                        cpu[name] += seconds - before[name]
                    run += 1
                    floor.append(run_floor(vhost.uri, dbs["donations"], args.events,
                                           args.concurrency))
                sustained = None
                if args.sustain_rate:
                    sustained = run_sustained(gateway, maildir, run, args.sustain_rate,
                                              args.sustain_seconds)
                    run += 1
            finally:
                services.stop()
            counts = getattr(services, "db", None)
            results.append((services.name, pipeline, floor, cpu, sustained, counts))
    finally:
        stop(sink)
        vhost.delete()
        for url in dbs.values():
            drop_database(url)

    print(f"\npipeline benchmark: {args.events} events, concurrency {args.concurrency}, "
          f"median of {args.repeats} runs, each floor measured beside its pipeline runs")
    for name, pipeline, floor, cpu, sustained, counts in results:
        report(name, pipeline, floor, cpu, args.events)
        if counts is not None:
            per_event = args.events * args.repeats
            print("database per e-mail, statements (round trips): " + ", ".join(
                f"{db.split('_')[2]} {counts.statements[db] / per_event:.1f} "
                f"({counts.round_trips[db] / per_event:.1f})"
                for db in sorted(counts.statements)))
            if args.profile:
                for db in sorted(counts.statements):
                    print(f"  {db.split('_')[2]}, statements per e-mail:")
                    for text, n in counts.top(db, 12):
                        print(f"    {n / per_event:5.2f}  {text}")
        if sustained:
            report_sustained(name, sustained, args.sustain_rate)
    if profile_dir is not None:
        print_profiles(profile_dir, args.profile_top)


if __name__ == "__main__":
    main()
