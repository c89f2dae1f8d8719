"""A broker or a database restart mid-stream (DESIGN §9): no service dies, nothing is lost,
nothing is doubled.

The services run in their own processes as `make run` starts them (`nameko run --config
services/<name>/config.yml`, configured through the environment), on a RabbitMQ and a
PostgreSQL of the test's own that the test stops while payments flow. The test plays Stripe:
it sends each paid donation's signed `payment_intent.succeeded` webhook at 10 a second and
sends again, with growing delays, every one not answered 2xx, as Stripe does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from servicekit import platform as wiring
from servicekit.devtools.localstripe_server import create_card_payment_method
from servicekit.migrations import migrate
from servicekit.testing import HttpCapture, free_port, query, wait_until

ROOT = Path(__file__).resolve().parents[1]
WEBHOOK_SECRET = "whsec_test_outage_recovery"
SERVICES = wiring.BACKENDS


class Processes:
    """The platform's processes, each in its own process group with its output in a file."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen] = {}
        nameko = str(Path(sys.executable).parent / "nameko")
        self.argv = {name: wiring.command(name, nameko) for name in wiring.START_ORDER}

    def start(self, name: str) -> None:
        with open(self.logs / f"{name}.log", "ab") as out:
            self.procs[name] = subprocess.Popen(
                self.argv[name], cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.procs.items()}

    def exited(self) -> dict[str, int]:
        return {name: proc.returncode for name, proc in self.procs.items()
                if proc.poll() is not None}

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        import signal

        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@dataclass
class Platform:
    url: str
    stripe: str
    databases: dict[str, str]
    processes: Processes
    capture: HttpCapture


@pytest.fixture
def outage_platform(private_rabbit, private_postgres, smtp_sink, localstripe_factory, tmp_path):
    databases = {name: f"{private_postgres.url}/jii_{name}" for name in wiring.DEPLOYABLES}
    for name, url in databases.items():
        migrate(url, wiring.service(name).migrations())
    capture = HttpCapture()  # localstripe's webhooks come to the test, which plays Stripe
    stripe = localstripe_factory(capture.url, WEBHOOK_SECRET)
    gateway_address = f"127.0.0.1:{free_port()}"
    inputs = wiring.Inputs(
        amqp_uri=private_rabbit.uri, databases=databases, gateway_address=gateway_address,
        smtp_host="127.0.0.1", smtp_port=smtp_sink.port, stripe_base=stripe,
        stripe_key=wiring.LOCALSTRIPE_API_KEY, secrets={"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET},
        settings={"LOG_LEVEL": "WARNING", "EVENT_RETRY_DELAYS_MS": [500, 1000, 2000, 4000],
                  "OUTBOX_SWEEP_SECONDS": 1, "RPC_TIMEOUT_SECONDS": 5,
                  "RATE_LIMIT_PER_MINUTE": 100000, "RATE_LIMIT_BURST": 1000,
                  # within the private server's max_connections, relays and the test's
                  # queries included
                  "DB_POOL_SIZE": 5})
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONWARNINGS": "ignore:pkg_resources is deprecated:UserWarning",
           **wiring.environment(inputs)}
    processes = Processes(env, tmp_path)
    for name in wiring.START_ORDER:
        processes.start(name)
    url = f"http://{gateway_address}"
    wait_until(lambda: ready(url), timeout=90, interval=0.5, message="every service ready")
    yield Platform(url, stripe, databases, processes, capture)
    processes.stop()
    capture.close()


def ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def paid_donations(platform: Platform, count: int) -> list[tuple[str, str]]:
    """`count` one-time card gifts made through the gateway; returns each one's signed
    payment_intent.succeeded webhook (body, signature) as localstripe sent it."""

    def give(n: int) -> None:
        gift = {"amount": 1000 + n, "email": f"donor{n}@example.com", "name": f"Donor {n}",
                "locale": "en", "payment_method": create_card_payment_method(
                    platform.stripe, "4242424242424242")}
        response = requests.post(f"{platform.url}/api/donations", json=gift, timeout=30)
        assert response.status_code == 201, response.text

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(give, range(count)))

    def webhooks():
        found = [(d.body.decode(), d.signature) for d in list(platform.capture.deliveries)
                 if json.loads(d.body)["type"] == "payment_intent.succeeded"]
        return found if len(found) == count else None

    return wait_until(webhooks, timeout=60, message="localstripe's webhooks")


@dataclass
class StripeSender:
    """Stripe's side of webhooks: each event sent at its time, and sent again after 1, 2, 4 …
    (at most 5) seconds until the endpoint answers 2xx."""

    url: str
    events: list[tuple[str, str]]
    per_second: float = 10.0
    answers: Counter = field(default_factory=Counter)
    accepted: set[int] = field(default_factory=set)
    attempts: int = 0
    last_accepted_at: float = 0.0

    def run(self, deadline: float, abort: Callable[[], object] = lambda: False) -> None:
        """Send until every event is accepted, `deadline` passes or `abort()` is true."""
        start = time.monotonic()
        due = {i: start + i / self.per_second for i in range(len(self.events))}
        tries = Counter()
        lock = threading.Lock()

        def send(i: int) -> None:
            body, signature = self.events[i]
            try:
                response = requests.post(
                    self.url, data=body.encode(), timeout=15,
                    headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
                outcome = response.status_code
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            with lock:
                self.attempts += 1
                self.answers[outcome] += 1
                if isinstance(outcome, int) and 200 <= outcome < 300:
                    self.accepted.add(i)
                    self.last_accepted_at = time.monotonic()
                else:
                    tries[i] += 1
                    due[i] = time.monotonic() + min(2 ** (tries[i] - 1), 5)

        with ThreadPoolExecutor(16) as pool:
            in_flight: dict[int, object] = {}
            while time.monotonic() < deadline and not abort():
                with lock:
                    if len(self.accepted) == len(self.events):
                        return
                    now = time.monotonic()
                    ready_now = [i for i, at in due.items() if at <= now and i not in in_flight
                                 and i not in self.accepted]
                    for i in ready_now:
                        due.pop(i)
                for i in ready_now:
                    in_flight[i] = pool.submit(send, i)
                for i, future in list(in_flight.items()):
                    if future.done():
                        future.result()
                        del in_flight[i]
                time.sleep(0.02)


def queue_depths(rabbit) -> dict[str, int]:
    out = subprocess.run(
        ["rabbitmqctl", "-n", rabbit.node, "list_queues", "name", "messages", "--formatter",
         "json", "--quiet"], env=rabbit.env, check=True, capture_output=True, timeout=60)
    return {q["name"]: q["messages"] for q in json.loads(out.stdout)}


def unpublished(platform: Platform) -> int:
    return sum(query(url, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")[0]["n"]
               for name, url in platform.databases.items() if name in SERVICES)


def mails_per_donor(smtp_sink) -> Counter:
    from email.utils import getaddresses

    donors = Counter()
    for message in smtp_sink.messages():
        for _, address in getaddresses([message["To"]]):
            if address.startswith("donor"):
                donors[address] += 1
    return donors


def run_outage(platform: Platform, smtp_sink, stop, start, outage_seconds: float,
               payments: int, tmp_path) -> dict:
    """Send `payments` webhooks at 10/s; 3 s in, stop the dependency for `outage_seconds`."""
    events = paid_donations(platform, payments)
    pids = platform.processes.pids()
    sender = StripeSender(f"{platform.url}/api/webhooks/stripe", events)
    # A service that died cannot recover: the sender stops at once and the test says which.
    thread = threading.Thread(target=sender.run, daemon=True,
                              args=(time.monotonic() + outage_seconds + 240,
                                    platform.processes.exited))
    thread.start()
    time.sleep(3)
    stop()
    stopped_at = time.monotonic()
    time.sleep(min(outage_seconds / 2, 8))
    readiness_during = requests.get(f"{platform.url}/readyz", timeout=30).status_code
    time.sleep(max(0.0, outage_seconds - (time.monotonic() - stopped_at)))
    start()
    restarted_at = time.monotonic()
    thread.join()
    assert_none_exited(platform)
    ledger = lambda: query(platform.databases["donations"],  # noqa: E731
                           "SELECT stripe_payment_intent_id AS intent, count(*) AS n"
                           " FROM payments GROUP BY 1")
    wait_until(lambda: len(ledger()) == payments and len(mails_per_donor(smtp_sink)) == payments
               and unpublished(platform) == 0, timeout=120, interval=0.5,
               message="every payment in the ledger and every donor's e-mail")
    drained_after = time.monotonic() - restarted_at
    time.sleep(2)  # a doubled mail or payment would show up now
    rows = ledger()
    mails = mails_per_donor(smtp_sink)
    figures = {
        "payments_sent": payments, "webhook_attempts": sender.attempts,
        "accepted": len(sender.accepted), "answers": dict(sender.answers),
        "in_ledger": len(rows), "doubled_payments": sum(1 for r in rows if r["n"] > 1),
        "missing_payments": payments - len(rows), "mails": sum(mails.values()),
        "doubled_mails": sum(1 for n in mails.values() if n > 1),
        "missing_mails": payments - len(mails), "readyz_during_outage": readiness_during,
        "seconds_to_drain_after_restart": round(drained_after, 1),
        "exited": platform.processes.exited(),
        "restarted": [n for n, pid in platform.processes.pids().items() if pids[n] != pid],
    }
    print(f"\noutage figures: {json.dumps(figures)}")
    (tmp_path / "figures.json").write_text(json.dumps(figures))
    return figures


def assert_none_exited(platform: Platform) -> None:
    exited = platform.processes.exited()
    assert exited == {}, {name: platform.processes.log(name)[-3000:] for name in exited}


def assert_recovered(platform: Platform, figures: dict, rabbit) -> None:
    assert_none_exited(platform)
    assert figures["restarted"] == []
    assert figures["accepted"] == figures["payments_sent"]
    assert figures["missing_payments"] == figures["doubled_payments"] == 0
    assert figures["missing_mails"] == figures["doubled_mails"] == 0
    # a dependency outage is a 503 the sender retries, never a 500
    assert 500 not in figures["answers"], figures["answers"]
    assert figures["readyz_during_outage"] == 503
    assert ready(platform.url)
    assert unpublished(platform) == 0
    wait_until(lambda: not {q: n for q, n in queue_depths(rabbit).items() if n}, timeout=30,
               interval=1, message="every queue empty")


@pytest.mark.slow
def test_database_restarted_after_15s_mid_stream_loses_and_doubles_nothing(
    outage_platform, private_rabbit, private_postgres, smtp_sink, tmp_path
):
    figures = run_outage(outage_platform, smtp_sink, private_postgres.stop,
                         private_postgres.start, 15, 200, tmp_path)
    assert_recovered(outage_platform, figures, private_rabbit)


@pytest.mark.slow
def test_broker_away_for_a_minute_mid_stream_loses_and_doubles_nothing_and_no_service_dies(
    outage_platform, private_rabbit, smtp_sink, tmp_path
):
    # RPC replies, relay publishes, consumers and the gateway's own publishes all meet the
    # outage; every service reconnects on its own.
    figures = run_outage(outage_platform, smtp_sink, private_rabbit.stop_app,
                         private_rabbit.start_app, 60, 200, tmp_path)
    assert_recovered(outage_platform, figures, private_rabbit)
