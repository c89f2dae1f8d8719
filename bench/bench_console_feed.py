"""Staff console feed benchmark: the delay from an event's publication to its line in the
live feed of a staff console open in Chromium (p50, p99), beside the floor measured in the
same run: the same events read by a plain HTTP client long-polling the same feed route.

    .venv/bin/python bench/bench_console_feed.py [--events 1000] [--rate 100]

Publishes `--events` events at `--rate` a second to `matching.events` on a vhost of its own;
the gateway (in this process) stores them for `GET /api/staff/events`, the console (in a
Chromium driven by bench/console_watcher.py) long-polls it. Needs /usr/bin/chromium, the
local RabbitMQ (with its management API) and PostgreSQL; removes what it created.
"""

from __future__ import annotations

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402
from benchkit import Vhost, fresh_databases, percentile, service_runner  # noqa: E402
from gateway.accounts import add_account  # noqa: E402
from servicekit import platform  # noqa: E402
from servicekit.db import connect  # noqa: E402
from servicekit.events import Envelope  # noqa: E402
from servicekit.events.relay import event_exchange, make_publisher  # noqa: E402
from servicekit.migrations import drop_database  # noqa: E402
from servicekit.testing import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EMAIL, PASSWORD = "bench@j-ii.org", "bench password long enough"


def applied(n: int) -> Envelope:
    return Envelope.new("matching", "participant_applied", {
        "participant_id": str(uuid.uuid4()), "name": f"Bench {n}", "email": "b@example.org",
        "locale": "ja", "role": "resident", "area": "shinjuku",
        "applied_at": datetime.now(UTC).isoformat()})


def floor_reader(url: str, token: str, after: int, count: int, seen: dict) -> None:
    """A plain long-polling client: what the feed route delivers, without a browser."""
    session = requests.Session()
    while len(seen) < count:
        page = session.get(f"{url}/api/staff/events", timeout=60, headers={
            "Authorization": f"Bearer {token}"}, params={"after": after, "wait": 20,
                                                          "limit": 200}).json()
        now = time.time() * 1000
        for event in page["events"]:
            seen.setdefault(event["id"], now)
        after = page["next"]


def summary(name: str, published: dict, seen: dict) -> dict:
    delays = [seen[i] - published[i] for i in published if i in seen]
    return {"name": name, "n": len(delays), "p50": percentile(delays, 0.5),
            "p99": percentile(delays, 0.99), "mean": statistics.mean(delays)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="events published a second")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    vhost = Vhost()
    database = fresh_databases(("gateway",))["gateway"]
    with connect(database) as conn:
        add_account(conn, EMAIL, PASSWORD, "staff")
        conn.commit()
    address = f"127.0.0.1:{free_port()}"
    url = f"http://{address}"
    inputs = platform.Inputs(
        amqp_uri=vhost.uri, databases={"gateway": database}, gateway_address=address,
        secrets={"STAFF_TOKEN_SECRET": "bench-secret-bench-secret-bench-secret"},
        settings={"LOG_LEVEL": "WARNING"})
    runners = {}
    watcher = None
    try:
        runners = platform.start_in_process(platform.configs(inputs, ["gateway"]),
                                            service_runner)
        token = requests.post(f"{url}/api/staff/session", timeout=30, json={
            "email": EMAIL, "password": PASSWORD}).json()["token"]
        watcher = subprocess.Popen(
            [sys.executable, str(ROOT / "bench/console_watcher.py"), url, EMAIL, PASSWORD,
             str(args.events)], stdout=subprocess.PIPE, text=True)
        assert watcher.stdout.readline().strip() == "ready", "the console did not start"
        floor_seen: dict = {}
        reader = eventlet.spawn(floor_reader, url, token, 0, args.events, floor_seen)
        publisher = make_publisher(vhost.uri)
        published: dict = {}
        started = time.monotonic()
        for n in range(args.events):
            envelope = applied(n)
            eventlet.sleep(max(0.0, started + n / args.rate - time.monotonic()))
            published[envelope.id] = time.time() * 1000
            publisher.publish(envelope.to_dict(), exchange=event_exchange("matching.events"),
                              routing_key=envelope.type, message_id=envelope.id)
        reader.wait()
        console_seen = json.loads(watcher.stdout.readline())
        watcher.wait(60)
    finally:
        if watcher and watcher.poll() is None:
            watcher.kill()
        for runner in runners.values():
            runner.kill()
        vhost.delete()
        drop_database(database)

    floor = summary("floor: HTTP long-poll client", published, floor_seen)
    console = summary("staff console in Chromium", published, console_seen)
    print(f"console feed benchmark: {args.events} events at {args.rate:g}/s, publish -> shown")
    for row in (floor, console):
        print(f"  {row['name']:<32} n={row['n']:>5}  p50 {row['p50']:7.1f} ms  "
              f"p99 {row['p99']:7.1f} ms  mean {row['mean']:7.1f} ms")
    print(f"  ratio console/floor: p50 {console['p50'] / max(floor['p50'], 0.1):.2f}  "
          f"p99 {console['p99'] / max(floor['p99'], 0.1):.2f}")


if __name__ == "__main__":
    main()
