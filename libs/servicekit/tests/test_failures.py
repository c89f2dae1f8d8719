"""Failure is normal (DESIGN §9): broker restarts, killed consumers, several relays at once."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kombu import Connection, Queue
from servicekit.db import connect
from servicekit.events import Envelope, write_event
from servicekit.events.relay import event_exchange
from servicekit.testing import query, wait_until

from .kit_services import SourceService

HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"


def write_ticks(url: str, numbers) -> None:
    """A unit of work that does not need the broker: state and events in one transaction."""
    with connect(url) as conn:
        for n in numbers:
            conn.execute("INSERT INTO ticks (n) VALUES (%s)", (n,))
            write_event(conn, Envelope.new("kit_source", "tick", {"n": n}, correlation_id="f"))
        conn.commit()


def seen_numbers(url: str) -> list[int]:
    return [row["n"] for row in query(url, "SELECT n FROM seen ORDER BY n")]


class ServiceProcess:
    """A service run by `nameko run` in its own process group, as operators run it."""

    def __init__(self, config: dict, service: str, config_file: Path):
        config_file.write_text(yaml.safe_dump({**config, "max_workers": 10,
                                               "LOG_LEVEL": "WARNING"}))
        self.args = [sys.executable, "-m", "nameko", "run", "--config", str(config_file),
                     f"kit_services:{service}"]
        self.proc = None

    def start(self) -> "ServiceProcess":
        self.proc = subprocess.Popen(
            self.args, env={**os.environ, "PYTHONPATH": str(HERE)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(15)


@pytest.fixture
def service_process(tmp_path):
    started = []

    def start(config: dict, service: str) -> ServiceProcess:
        process = ServiceProcess(config, service, tmp_path / f"{service}-{len(started)}.yml")
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.kill()


def sink_queue_exists(uri: str) -> bool:
    with Connection(uri) as conn:
        try:
            conn.default_channel.queue_declare(
                "evt-kit_source-tick--kit_sink.record_tick", passive=True)
        except Exception:  # noqa: BLE001 - not declared yet
            return False
    return True


@pytest.mark.slow
def test_broker_restart_loses_nothing_and_the_outbox_drains(
    private_rabbit, service_process, make_database
):
    source_url = make_database("kit_source", MIGRATIONS)
    sink_url = make_database("kit_sink", MIGRATIONS)
    base = {"AMQP_URI": private_rabbit.uri, "EVENT_RETRY_DELAYS_MS": [100, 200],
            "OUTBOX_SWEEP_SECONDS": 0.5}
    service_process({**base, "DATABASE_URL": sink_url}, "SinkService")
    wait_until(lambda: sink_queue_exists(private_rabbit.uri), timeout=30,
               message="the sink's queue")
    service_process({**base, "DATABASE_URL": source_url}, "SourceService")
    write_ticks(source_url, range(0, 10))
    wait_until(lambda: len(seen_numbers(sink_url)) == 10, timeout=30,
               message="the first ten ticks")

    private_rabbit.stop()
    write_ticks(source_url, range(10, 60))  # writes succeed while the broker is away
    pending = query(source_url, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
    assert pending[0]["n"] == 50

    private_rabbit.start()
    wait_until(lambda: len(seen_numbers(sink_url)) == 60, timeout=90,
               message="the backlog to drain after the broker returned")
    assert seen_numbers(sink_url) == list(range(60))
    assert query(source_url, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
                 )[0]["n"] == 0


@pytest.mark.slow
def test_consumer_killed_mid_stream_then_restarted_applies_each_event_once(
    service_process, runner_factory, service_config, make_database
):
    source_url = make_database("kit_source", MIGRATIONS)
    sink_url = make_database("kit_sink", MIGRATIONS)
    sink_config = service_config(sink_url)
    sink = service_process(sink_config, "SinkService")
    wait_until(lambda: sink_queue_exists(sink_config["AMQP_URI"]), timeout=30,
               message="the sink's queue")
    runner_factory(service_config(source_url), SourceService).start()
    write_ticks(source_url, range(500))
    wait_until(lambda: len(seen_numbers(sink_url)) >= 100, timeout=60,
               message="the sink to be part-way through")
    sink.kill(signal.SIGKILL)
    assert len(seen_numbers(sink_url)) < 500, "the kill came too late to prove anything"
    sink.start()
    wait_until(lambda: len(seen_numbers(sink_url)) >= 500, timeout=120,
               message="all 500 events after the restart")
    assert seen_numbers(sink_url) == list(range(500))


def test_two_relays_on_one_outbox_publish_each_event_once(
    runner_factory, service_config, make_database
):
    source_url = make_database("kit_source", MIGRATIONS)
    config = service_config(source_url)
    exchange = event_exchange("kit_source.events")
    with Connection(config["AMQP_URI"]) as conn:
        counter = Queue("count-ticks", exchange=exchange, routing_key="tick", durable=True)
        counter(conn.default_channel).declare()
    for _ in range(2):  # two instances of the same service, as when scaled out
        runner_factory(config, SourceService).start()
    write_ticks(source_url, range(300))
    wait_until(lambda: query(source_url, "SELECT count(*) AS n FROM outbox"
                             " WHERE published_at IS NULL")[0]["n"] == 0,
               timeout=30, message="both relays to drain the outbox")
    received = []
    with Connection(config["AMQP_URI"]) as conn:
        queue = conn.SimpleQueue("count-ticks")
        while True:
            try:
                message = queue.get(timeout=1)
            except queue.Empty:
                break
            received.append(message.payload["data"]["n"])
            message.ack()
        queue.close()
    assert sorted(received) == list(range(300))
