"""Gateway benchmark (DESIGN §8): requests per second and p99 latency of `GET /api/programs`
(a read through RPC to programs) and `POST /api/donations` (a one-time card gift: RPC to
donations, which creates and confirms a PaymentIntent with localstripe and writes its ledger),
beside two floors measured in the same run: a bare Nameko `@http` endpoint returning a
constant, and a bare `@http` endpoint that makes one bare Nameko RPC (to a service returning a
constant), which is the least any RPC-backed route can cost.

    .venv/bin/python bench/bench_gateway.py [--requests 300] [--concurrency 10] [--repeats 3]

Everything listens on loopback; the client runs in the same process (eventlet), as it does for
the bare endpoint, so the ratios compare like with like. Figures are medians over repeats.
Needs the local RabbitMQ (with its management API) and PostgreSQL; starts localstripe and the
services itself and removes what it created.
"""

from __future__ import annotations

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import eventlet.queue  # noqa: E402
import requests  # noqa: E402
from benchkit import Vhost, fresh_databases, percentile, service_runner  # noqa: E402
from nameko.rpc import RpcProxy  # noqa: E402
from nameko.rpc import rpc as bare_rpc  # noqa: E402
from nameko.web.handlers import http as bare_http  # noqa: E402
from servicekit import platform  # noqa: E402
from servicekit.devtools.localstripe_server import (  # noqa: E402
    create_card_payment_method,
    start_localstripe,
)
from servicekit.devtools.localstripe_server import stop as stop_process  # noqa: E402
from servicekit.migrations import drop_database  # noqa: E402
from servicekit.testing import free_port  # noqa: E402

VISA = "4242424242424242"


class ConstantService:
    """What the RPC floor calls: Nameko's own @rpc, no database, a constant answer."""

    name = "bench_constant"

    @bare_rpc
    def constant(self):
        return {"ok": True}


class BareService:
    """The floors: Nameko's own @http, no validation; a constant body, or one bare RPC's."""

    name = "bench_bare"
    constant = RpcProxy("bench_constant")

    @bare_http("GET", "/bare")
    def bare(self, request):
        return 200, {"Content-Type": "application/json"}, '{"ok": true}'

    @bare_http("GET", "/bare-rpc")
    def bare_rpc(self, request):
        return 200, {"Content-Type": "application/json"}, json.dumps(self.constant.constant())


def load(make_request, count: int, concurrency: int, max_seconds: float) -> dict[str, float]:
    """`count` requests from `concurrency` clients; stops early after `max_seconds`."""
    jobs: eventlet.queue.Queue = eventlet.queue.Queue()
    for i in range(count):
        jobs.put(i)
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.monotonic() + max_seconds

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            try:
                i = jobs.get_nowait()
            except eventlet.queue.Empty:
                return
            started = time.perf_counter()
            response = make_request(session, i)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 300:
                failures.append(f"{response.status_code} {response.text[:200]}")

    started = time.perf_counter()
    pool = eventlet.GreenPool(concurrency)
    for _ in range(concurrency):
        pool.spawn(client)
    pool.waitall()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} failed requests, e.g. {failures[0]}")
    return {"rate": len(latencies) / elapsed, "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000, "done": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per scenario and repeat")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=60,
                        help="cap on each scenario's run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    vhost = Vhost()
    databases = fresh_databases(("gateway", "programs", "donations"))
    stripe_port = free_port()
    stripe = start_localstripe(stripe_port, log=subprocess.DEVNULL)
    stripe_base = f"http://127.0.0.1:{stripe_port}"
    gateway_address, bare_address = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    # Every service with ten workers, as the floors have.
    base = {"AMQP_URI": vhost.uri, "LOG_JSON": True, "LOG_LEVEL": "WARNING", "max_workers": 10}
    inputs = platform.Inputs(
        amqp_uri=vhost.uri, databases=databases, gateway_address=gateway_address,
        stripe_base=stripe_base, stripe_key=platform.LOCALSTRIPE_API_KEY,
        secrets={"STRIPE_WEBHOOK_SECRET": "whsec_bench",
                 "STAFF_TOKEN_SECRET": "bench-secret-bench-secret-bench-secret"},
        settings={"LOG_LEVEL": "WARNING", "max_workers": 10})
    configs = platform.configs(inputs, databases, base={"LOG_JSON": True}, overrides={
        "gateway": {"RPC_TIMEOUT_SECONDS": 30, "RATE_LIMIT_BURST": 10**9,
                    "RATE_LIMIT_PER_MINUTE": 10**9}})
    runners = []
    results: dict[str, list[dict]] = {"bare": [], "bare-rpc": [], "programs": [],
                                      "donations": []}
    try:
        runners += platform.start_in_process(configs, service_runner).values()
        for config, service in (({**base, "WEB_SERVER_ADDRESS": bare_address}, BareService),
                                (base, ConstantService)):
            runner = service_runner(config, service)
            runner.start()
            runners.append(runner)
        gateway, bare = f"http://{gateway_address}", f"http://{bare_address}"
        # Stripe.js's part, done before the clock starts: one PaymentMethod per donation.
        total = args.requests * args.repeats
        methods = [create_card_payment_method(stripe_base, VISA) for _ in range(total)]

        def donate(session, i, offset=0):
            return session.post(f"{gateway}/api/donations", timeout=30, json={
                "amount": 3000, "email": f"bench{offset + i}@example.org",
                "name": "Bench Supporter", "locale": "ja",
                "payment_method": methods[offset + i]})

        scenarios = {
            "bare": lambda session, i: session.get(f"{bare}/bare", timeout=30),
            "bare-rpc": lambda session, i: session.get(f"{bare}/bare-rpc", timeout=30),
            "programs": lambda session, i: session.get(f"{gateway}/api/programs?lang=ja",
                                                       timeout=30),
        }
        for name in scenarios:  # warm-up: connections, pools, caches
            load(scenarios[name], args.concurrency * 2, args.concurrency, args.max_seconds)
        for run in range(args.repeats):
            for name, request in scenarios.items():
                results[name].append(load(request, args.requests, args.concurrency,
                                          args.max_seconds))
            results["donations"].append(load(
                lambda session, i, run=run: donate(session, i, run * args.requests),
                args.requests, args.concurrency, args.max_seconds))
    finally:
        for runner in runners:
            runner.kill()
        stop_process(stripe)
        vhost.delete()
        for url in databases.values():
            drop_database(url)

    def median(rows: list[dict], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    print(f"gateway benchmark: {args.requests} requests per scenario, concurrency "
          f"{args.concurrency}, median of {args.repeats} runs (loopback, one process)")
    print(f"{'':24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'rate ratio':>11} {'p99 ratio':>10}"
          f" {'vs bare RPC':>12}")
    floor, rpc_floor = results["bare"], results["bare-rpc"]
    for name, label in (("bare", "bare @http GET /bare"), ("bare-rpc", "bare @http + bare RPC"),
                        ("programs", "GET /api/programs"), ("donations", "POST /api/donations")):
        rows = results[name]
        print(f"{label:24} {median(rows, 'rate'):9.1f} {median(rows, 'p50_ms'):8.1f} "
              f"{median(rows, 'p99_ms'):8.1f} {median(rows, 'rate') / median(floor, 'rate'):10.3f}x"
              f" {median(rows, 'p99_ms') / median(floor, 'p99_ms'):9.1f}x"
              f" {median(rows, 'rate') / median(rpc_floor, 'rate'):11.3f}x")
    short = [name for name, rows in results.items() if any(r["done"] < args.requests
                                                               for r in rows)]
    if short:
        print(f"note: stopped at --max-seconds before all requests were sent: {short}")


if __name__ == "__main__":
    main()
