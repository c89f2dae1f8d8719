"""Pytest fixtures shared by every package's tests: real PostgreSQL databases per test,
service configs on a private RabbitMQ vhost (Nameko's `rabbit_config`), and the local peers
(SMTP sink, localstripe) as subprocesses.

Loaded by the root conftest through `pytest_plugins`.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from servicekit.devtools.parallel_tests import (
    connections_needed,
    postgres_programs,
    run_has_own_postgres,
    worker_count,
)
from servicekit.devtools.ports import free_port
from servicekit.devtools.processes import process_alive
from servicekit.migrations import drop_database, migrate

PG_BIN = postgres_programs(os.environ)
# The server the tests' databases are created on: JII_TEST_PG_URL if given, else a private one
# the test run starts (`pytest_configure`), else the machine's own.
PG_SERVER = os.environ.get("JII_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
SUITE_POSTGRES_PREFIX = "jii-suite-postgres-"
_SUITE_POSTGRES = pytest.StashKey["PrivatePostgres"]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`-n N`), start each worker through `servicekit.green_worker`, which
    monkey-patches before xdist's transport starts (see there)."""
    import sys

    specs = getattr(config.option, "tx", None) or []
    worker = f"popen//python={sys.executable} -m servicekit.green_worker"
    config.option.tx = [worker if spec == "popen" else spec for spec in specs]
    collecting = config.option.collectonly or getattr(config.option, "help", False)
    # the run's first process starts it; the workers inherit its URL
    if not hasattr(config, "workerinput") and not collecting:
        _start_suite_postgres(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_SUITE_POSTGRES, None)
    if server is not None:
        server.remove()


def _start_suite_postgres(config: pytest.Config) -> None:
    """A PostgreSQL server for the whole run, in memory and without durability (no fsync, no
    synchronous commit, no full-page writes): the tests create and drop a database each, and
    on a durable server each of those waits on the disk and a checkpoint. Left out when
    JII_TEST_PG_URL names a server, or PostgreSQL's programs are not on this machine (the
    peers run under compose), and then the tests use that server."""
    global PG_SERVER
    if not run_has_own_postgres(os.environ):
        return
    workers = getattr(config.option, "numprocesses", None)
    if not isinstance(workers, int) or workers < 1:
        workers = worker_count(os.environ)
    PrivatePostgres.remove_abandoned(SUITE_POSTGRES_PREFIX, PRIVATE_POSTGRES_PREFIX)
    server = PrivatePostgres.create(SUITE_POSTGRES_PREFIX, connections_needed(workers))
    config.stash[_SUITE_POSTGRES] = server
    PG_SERVER = os.environ["JII_TEST_PG_URL"] = server.url


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests go first: the slow ones (brokers and servers of their own stopped and
    restarted, processes killed), then each group that must keep to one worker (the browser
    tests). Under pytest-xdist they then start while the rest spreads over the other workers,
    instead of ending the run with one long test after all the short ones."""
    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("slow"):
            return 0
        return 1 if item.get_closest_marker("xdist_group") else 2

    items.sort(key=rank)


class DatabaseTemplates:
    """Each service's migrated schema, built once per test process and copied for every test
    (`CREATE DATABASE ... TEMPLATE`): a copy takes a fraction of the time migrating takes.
    A template is keyed by the content of the migrations, so a test with migrations of its own
    gets a template of its own."""

    def __init__(self, server: str) -> None:
        self.server = server
        self._templates: dict[tuple[str, str], str] = {}
        self._strategy_clause: str | None = None

    def copy(self, service: str, migrations: Path | str) -> str:
        """A fresh database named for `service`, with every migration applied."""
        key = (service, _migrations_digest(Path(migrations)))
        template = self._templates.get(key)
        if template is None:
            template = f"{self.server}/jii_test_template_{service}_{uuid.uuid4().hex[:10]}"
            migrate(template, migrations)
            self._templates[key] = template
        url = f"{self.server}/jii_test_{service}_{uuid.uuid4().hex[:10]}"
        _create_from_template(self.server, url, template, self._copy_strategy_clause())
        return url

    def _copy_strategy_clause(self) -> str:
        """" STRATEGY FILE_COPY" on a server that does not fsync (the run's own): it copies
        the files and takes half the server's time WAL_LOG does. A durable server would first
        wait for a checkpoint written to disk, so there the clause is "" and the server's
        default (WAL_LOG) stays. Asked of the server once."""
        if self._strategy_clause is None:
            import psycopg

            with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
                fsync = conn.execute("SHOW fsync").fetchone()
                # the STRATEGY clause is PostgreSQL 15's
                new_enough = conn.info.server_version >= 150000
            off = fsync is not None and fsync[0] == "off"
            self._strategy_clause = " STRATEGY FILE_COPY" if off and new_enough else ""
        return self._strategy_clause

    def drop_all(self) -> None:
        for template in self._templates.values():
            drop_database(template)
        self._templates.clear()


def _migrations_digest(migrations: Path) -> str:
    import hashlib

    from servicekit.migrations import KIT_MIGRATIONS

    digest = hashlib.sha256()
    for folder in (KIT_MIGRATIONS, migrations):
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _create_from_template(server: str, url: str, template: str, strategy_clause: str
                          ) -> None:
    import time

    import psycopg
    from psycopg import sql

    from servicekit.migrations import database_name

    statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}" + strategy_clause).format(
        sql.Identifier(database_name(url)), sql.Identifier(database_name(template)))
    deadline = time.monotonic() + 10
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        while True:
            try:
                conn.execute(statement)
                return
            except psycopg.errors.ObjectInUse:
                # a connection the migration opened may still be closing on the server
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


class DatabaseDropper:
    """Drops databases in a process of its own (`servicekit.devtools.drop_databases`), so a
    test's teardown does not wait for the checkpoint PostgreSQL runs for each DROP DATABASE."""

    def __init__(self) -> None:
        import sys

        self._proc = subprocess.Popen(
            [sys.executable, "-m", "servicekit.devtools.drop_databases"],
            stdin=subprocess.PIPE, text=True)

    def drop(self, url: str) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(url + "\n")
        self._proc.stdin.flush()

    def close(self) -> None:
        """Wait until every database handed over is dropped."""
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait()


@pytest.fixture(scope="session")
def database_templates() -> Iterator[DatabaseTemplates]:
    """The migrated template of each service's database, for this test process."""
    templates = DatabaseTemplates(PG_SERVER)
    yield templates
    templates.drop_all()


@pytest.fixture(scope="session")
def database_dropper() -> Iterator[DatabaseDropper]:
    dropper = DatabaseDropper()
    yield dropper
    dropper.close()


@pytest.fixture
def make_database(database_templates: DatabaseTemplates, database_dropper: DatabaseDropper
                  ) -> Iterator[Callable[[str, Path | str], str]]:
    """Create a fresh, migrated database for a service; dropped after the test (in the
    background: its name is never used again). Each is a copy of a template migrated once per
    test process (`database_templates`)."""
    created: list[str] = []

    def make(service: str, migrations: Path | str) -> str:
        url = database_templates.copy(service, migrations)
        created.append(url)
        return url

    yield make
    for url in created:
        database_dropper.drop(url)


@pytest.fixture(scope="session")
def vhost_pipeline(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Nameko's fixture of the same name, whose vhosts `rabbit_config` hands to each test, but
    with each vhost emptied after its test and used again (`servicekit.vhosts`)."""
    from urllib.parse import urlparse

    from nameko.testing import rabbit

    from servicekit.vhosts import VhostPool

    # a client of its own: the pool's green threads must not share the tests' HTTP session
    manager = rabbit.Client(request.config.getoption("RABBIT_API_URI"))
    pool = VhostPool(manager, urlparse(request.config.getoption("RABBIT_AMQP_URI")).username)
    pool.remove_abandoned()
    yield pool
    pool.close()


# What every service gets in a test: quick retries and sweeps.
TEST_TUNING = {"EVENT_RETRY_DELAYS_MS": [100, 200, 400], "OUTBOX_SWEEP_SECONDS": 1,
               "LOG_JSON": True, "STAFF_TOKEN_SECRET": "test-staff-token-secret-0123456789abcdef"}
# The platform's secrets in a test (each goes to the services whose config.yml reads it).
TEST_SECRETS = {
    "STAFF_TOKEN_SECRET": TEST_TUNING["STAFF_TOKEN_SECRET"],
    "STRIPE_WEBHOOK_SECRET": "whsec_test_platform",
    "PLEDGE_LINK_SECRET": "test-pledge-link-secret-0123456789abcdef",
    "PAIRING_LINK_SECRET": "test-pairing-link-secret-0123456789abcdef",
    "ENROLLMENT_LINK_SECRET": "test-enrollment-link-secret-0123456789abcdef",
    "UNSUBSCRIBE_SECRET": "test-unsubscribe-secret-0123456789abcdef",
}


@pytest.fixture
def service_config(rabbit_config) -> Callable[..., dict]:
    """A Nameko config on this test's private vhost, with quick retries for tests."""

    def build(database_url: str | None = None, **extra) -> dict:
        config = dict(rabbit_config)
        config.update(TEST_TUNING)
        if database_url:
            config["DATABASE_URL"] = database_url
        config.update(extra)
        return config

    return build


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, interval: float = 0.05,
               message: str = "condition") -> object:
    """Poll `predicate` until it returns something truthy; fail the test after `timeout`."""
    import time

    import eventlet

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        eventlet.sleep(interval)


def finished_deliveries(container: Any, source: str, event_type: str) -> int:
    """How many deliveries of `source`'s `event_type` the container's consumers have finished:
    acknowledged once their handler returned, or parked. An attempt that failed and was
    retried is not one: its copy finishes with its last attempt. Nothing else says when a
    duplicate is done, since a duplicate changes nothing anyone could look at."""
    from servicekit.events.consumer import ReliableEventHandler

    return sum(entrypoint.outcomes["handled"] + entrypoint.outcomes["parked"]
               for entrypoint in container.entrypoints
               if isinstance(entrypoint, ReliableEventHandler)
               and (entrypoint.source_service, entrypoint.event_type) == (source, event_type))


def wait_for_deliveries(container: Any, source: str, event_type: str, count: int,
                        timeout: float = 15.0) -> None:
    """Wait until `count` deliveries of the event type have finished (`finished_deliveries`);
    fail at once if more have, since a test counting copies expects exactly its own."""
    def done() -> bool:
        finished = finished_deliveries(container, source, event_type)
        assert finished <= count, f"{finished} deliveries of {event_type}, expected {count}"
        return finished == count

    wait_until(done, timeout=timeout, message=f"{count} deliveries of {source}.{event_type}")


def park_dead_letter(amqp_uri: str, service: str, envelope: dict[str, Any], error: str,
                     handler_queue: str, attempt: int = 4) -> str:
    """Put an event in `service`'s dead-letter queue the way the consumer parks one (its
    properties and the x-jii headers); returns its message id."""
    import json

    from kombu import Connection

    from servicekit.events.topology import (
        ATTEMPT_HEADER,
        ERROR_HEADER,
        FAILED_AT_HEADER,
        QUEUE_HEADER,
        dead_letter_queue,
        dead_letter_queue_name,
    )

    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(
            json.dumps(envelope).encode(), exchange="",
            routing_key=dead_letter_queue_name(service), declare=[dead_letter_queue(service)],
            content_type="application/json", content_encoding="utf-8",
            message_id=envelope["id"], delivery_mode=2,
            headers={
                "nameko.correlation_id": envelope["correlation_id"],
                QUEUE_HEADER: handler_queue, ERROR_HEADER: error,
                FAILED_AT_HEADER: "2026-11-01T00:00:05+00:00", ATTEMPT_HEADER: attempt,
            },
        )
    return envelope["id"]


def query(url: str, sql: str, params: tuple = ()) -> list[dict]:
    from servicekit.db import connect

    with connect(url) as conn:
        return conn.execute(sql, params).fetchall()


@dataclass
class Delivery:
    signature: str | None
    body: bytes


class HttpCapture:
    """A loopback HTTP server recording every POST it receives (e.g. signed webhooks)."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.deliveries.append(Delivery(self.headers["Stripe-Signature"], body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/stripe/webhook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


@dataclass
class SmtpSink:
    port: int
    maildir: Path
    ca_file: str | None = None  # set when the sink speaks STARTTLS
    username: str | None = None  # set when the sink requires AUTH
    password: str | None = None

    def messages(self) -> list:
        """Every message received so far, parsed, oldest first."""
        import email
        from email import policy

        return [
            email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(self.maildir.glob("*.eml"))
        ]

    def connections(self) -> list[int]:
        """The number of the SMTP connection each message came on, oldest message first."""
        return [int(path.stem.rsplit("-c", 1)[1]) for path in sorted(self.maildir.glob("*.eml"))]


class SharedSmtpSink:
    """One SMTP sink process for the whole test run: each test that borrows it gets a maildir
    of its own (the sink's `--maildir-file`), and between tests mail goes to a spare one."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.spare = base / "between-tests"
        self.spare.mkdir(parents=True, exist_ok=True)
        self.route = base / "maildir"
        self._point_at(self.spare)
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def lend(self, maildir: Path) -> int:
        """Send mail to `maildir` from now on; returns the sink's port."""
        from servicekit.devtools.smtp_sink import start_smtp_sink

        self._point_at(maildir)
        if self.proc is None or self.proc.poll() is not None:
            self.port = free_port()
            self.proc = start_smtp_sink(self.port, self.spare, maildir_file=self.route,
                                        log=subprocess.DEVNULL)
        return self.port

    def give_back(self) -> None:
        self._point_at(self.spare)

    def close(self) -> None:
        from servicekit.devtools.smtp_sink import stop

        if self.proc is not None:
            stop(self.proc)

    def _point_at(self, maildir: Path) -> None:
        # written then renamed: the sink reads the file for every message
        tmp = self.route.with_suffix(".tmp")
        tmp.write_text(str(maildir))
        os.replace(tmp, self.route)


@pytest.fixture(scope="session")
def shared_smtp_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedSmtpSink]:
    sink = SharedSmtpSink(tmp_path_factory.mktemp("smtp-sink"))
    yield sink
    sink.close()


@pytest.fixture
def smtp_sink(tmp_path, shared_smtp_sink: SharedSmtpSink) -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd, in its own process) keeping each message of this test as
    an .eml file in the test's own maildir. The process is shared by the tests of a run."""
    maildir = tmp_path / "mail"
    maildir.mkdir()
    sink = SmtpSink(shared_smtp_sink.lend(maildir), maildir)
    yield sink
    shared_smtp_sink.give_back()


@dataclass(frozen=True)
class SinkCertificate:
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def sink_certificate(tmp_path_factory: pytest.TempPathFactory) -> SinkCertificate:
    """A self-signed certificate for 127.0.0.1, made once per test process (RSA key generation
    is slow): every `tls_smtp_sink` presents it."""
    base = tmp_path_factory.mktemp("sink-tls")
    cert, key = base / "sink-cert.pem", base / "sink-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return SinkCertificate(cert, key)


@pytest.fixture
def tls_smtp_sink(tmp_path, sink_certificate: SinkCertificate) -> Iterator[SmtpSink]:
    """The SMTP sink behind STARTTLS and AUTH, as a production relay is: its certificate is
    self-signed for 127.0.0.1 (`sink.ca_file` to trust it), its login `jii` / `sink-password`."""
    from servicekit.devtools.smtp_sink import start_smtp_sink, stop

    cert, key = sink_certificate.cert, sink_certificate.key
    sink = SmtpSink(free_port(), tmp_path / "tls-mail", str(cert), "jii", "sink-password")
    sink.maildir.mkdir()
    proc = start_smtp_sink(sink.port, sink.maildir, tls_cert=str(cert), tls_key=str(key),
                           auth=f"{sink.username}:{sink.password}")
    yield sink
    stop(proc)


class LocalstripePool:
    """localstripe processes kept for the whole test run: a test borrows one, emptied and with
    its webhook pointed where the test says (`reset_localstripe`), and gives it back after."""

    def __init__(self) -> None:
        self._idle: list[tuple[subprocess.Popen[bytes], str]] = []
        self._lent: dict[str, subprocess.Popen[bytes]] = {}

    def borrow(self, webhook_url: str | None = None, webhook_secret: str | None = None) -> str:
        """The API base of an empty localstripe sending its webhooks to `webhook_url`."""
        from servicekit.devtools.localstripe_server import reset_localstripe, start_localstripe

        if webhook_url and not webhook_secret:
            raise ValueError("a webhook secret is required with a webhook URL")
        while self._idle:
            proc, base = self._idle.pop()
            try:
                reset_localstripe(base, webhook_url, webhook_secret)
            except OSError:  # it died: start another
                self._stop(proc)
                continue
            self._lent[base] = proc
            return base
        port = free_port()
        proc = start_localstripe(port, webhook_url, webhook_secret, log=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        self._lent[base] = proc
        return base

    def give_back(self, base: str) -> None:
        proc = self._lent.pop(base)
        if proc.poll() is None:
            self._idle.append((proc, base))

    def close(self) -> None:
        for proc in [*self._lent.values(), *(proc for proc, _ in self._idle)]:
            self._stop(proc)
        self._lent.clear()
        self._idle.clear()

    @staticmethod
    def _stop(proc: subprocess.Popen[bytes]) -> None:
        from servicekit.devtools.localstripe_server import stop

        stop(proc)


@pytest.fixture(scope="session")
def localstripe_pool() -> Iterator[LocalstripePool]:
    pool = LocalstripePool()
    yield pool
    pool.close()


@pytest.fixture
def localstripe_factory(localstripe_pool: LocalstripePool) -> Iterator[Callable[..., str]]:
    """An empty localstripe (webhooks to the given URL); returns its API base. Each call gives
    a localstripe of its own for this test, borrowed from a pool kept for the whole run."""
    borrowed: list[str] = []

    def start(webhook_url: str | None = None, webhook_secret: str | None = None) -> str:
        base = localstripe_pool.borrow(webhook_url, webhook_secret)
        borrowed.append(base)
        return base

    yield start
    for base in borrowed:
        localstripe_pool.give_back(base)


class ProgramFailed(subprocess.CalledProcessError):
    """A program a test's own server needs failed; unlike its base class, the message says
    what the program printed."""

    def __str__(self) -> str:
        return f"{super().__str__()}\n{self.output}"


def run_program(args: list[str], timeout: float, env: dict[str, str] | None = None,
                explain: Callable[[], str] = str) -> None:
    """Run `args`; if they fail, raise `ProgramFailed` with their output and `explain()`."""
    result = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise ProgramFailed(result.returncode, args, result.stdout + explain())


class PrivateRabbit:
    """A RabbitMQ node of the test's own, on loopback ports, that a test may stop and restart."""

    def __init__(self, base: Path, port: int):
        self.port = port
        self.node = f"jiitest{port}@localhost"
        self.uri = f"amqp://guest:guest@127.0.0.1:{port}/"
        base.mkdir(parents=True, exist_ok=True)
        plugins = base / "enabled_plugins"
        plugins.write_text("[].\n")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(port),
            # Erlang distribution (rabbitmqctl reaches the node through it)
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(plugins),
            "RABBITMQ_PID_FILE": str(base / "rabbit.pid"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
        }
        (base / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{port}\n")
        # rabbitmq-server run as root drops to the rabbitmq user, which must own its files.
        try:
            import shutil

            for path in (base, plugins, base / "rabbitmq.conf"):
                shutil.chown(path, user="rabbitmq")
        except (LookupError, PermissionError):
            pass

    def _ctl(self, *args: str, timeout: float = 60) -> None:
        # the fixture removes the node's log with it, so a failure carries the log's end
        run_program(["rabbitmqctl", "-n", self.node, *args], env=self.env, timeout=timeout,
                    explain=self._log_tail)

    def _log_tail(self, lines: int = 40) -> str:
        logs = sorted(Path(self.env["RABBITMQ_LOG_BASE"]).glob("*.log"))
        return "".join(f"\n{log.name} ends:\n" + "\n".join(
            log.read_text(errors="replace").splitlines()[-lines:]) for log in logs)

    def start(self) -> None:
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._ctl("wait", str(self.env["RABBITMQ_PID_FILE"]), timeout=120)
        self._ctl("await_startup", timeout=120)

    def stop(self) -> None:
        self._ctl("stop", str(self.env["RABBITMQ_PID_FILE"]), timeout=120)

    def kill(self) -> None:
        """End the node's Erlang process at once, when it would not stop: none is left behind."""
        import signal

        try:
            os.kill(int(Path(self.env["RABBITMQ_PID_FILE"]).read_text()), signal.SIGKILL)
        except (OSError, ValueError):
            pass  # never started, or already gone

    def stop_app(self) -> None:
        """Stop RabbitMQ itself but not its Erlang node (`rabbitmqctl stop_app`): every client
        connection drops and new ones are refused, as in a broker restart."""
        self._ctl("stop_app")

    def start_app(self) -> None:
        self._ctl("start_app", timeout=120)
        self._ctl("await_startup", timeout=120)


@pytest.fixture
def private_rabbit() -> Iterator[PrivateRabbit]:
    import shutil
    import tempfile

    # not under pytest's tmp_path: its parents are private to root, the broker runs as rabbitmq
    base = Path(tempfile.mkdtemp(prefix="jii-rabbit-"))
    rabbit = PrivateRabbit(base, free_port())
    rabbit.start()
    yield rabbit
    try:
        rabbit.stop()
    except subprocess.SubprocessError:
        rabbit.kill()
    shutil.rmtree(base, ignore_errors=True)


PRIVATE_POSTGRES_PREFIX = "jii-postgres-"


class PrivatePostgres:
    """A PostgreSQL server of the test's own on a loopback port, that a test may stop and
    start (a database outage) without touching the shared one. Trust auth, user postgres.
    Throwaway, so nothing is made durable (no fsync, no synchronous commit). Made with
    `create`; its folder notes the process that made it, for `remove_abandoned`."""

    def __init__(self, base: Path, port: int, max_connections: int = 60):
        self.base, self.port, self.max_connections = base, port, max_connections
        self.data = base / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{port}"
        # initdb and postgres refuse to run as root
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @classmethod
    def create(cls, prefix: str = PRIVATE_POSTGRES_PREFIX,
               max_connections: int = 60) -> PrivatePostgres:
        """A new, started server in a new folder named with `prefix`, in memory where the
        machine has /dev/shm. Nothing is left behind when it cannot start."""
        import tempfile

        # not under pytest's tmp_path: its parents are private to root, the server runs as
        # postgres
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        base = Path(tempfile.mkdtemp(prefix=prefix, dir=shm))
        (base / "owner.pid").write_text(str(os.getpid()))
        server = cls(base, free_port(), max_connections)
        try:
            if server._as_owner:
                import shutil

                shutil.chown(base, user="postgres")
            server._run(str(PG_BIN / "initdb"), "-D", str(server.data), "-U", "postgres",
                        "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
            server.start()
        except BaseException:
            server.remove()
            raise
        return server

    @classmethod
    def remove_abandoned(cls, *prefixes: str) -> None:
        """Stop and remove the servers killed test runs left behind (the process that made
        each is gone); a running run's are kept."""
        import glob
        import tempfile

        for folder in {"/dev/shm", tempfile.gettempdir()}:
            for prefix in prefixes:
                for base in map(Path, glob.glob(f"{folder}/{prefix}*")):
                    try:
                        owner = int((base / "owner.pid").read_text())
                    except (OSError, ValueError):  # not yet written, or torn
                        owner = None
                    if owner is None or not process_alive(owner):  # its run is gone
                        cls(base, port=0).remove()

    def _run(self, *args: str, timeout: float = 120) -> None:
        """Run one of PostgreSQL's programs as the server's owner; a failure says what the
        program printed."""
        run_program([*self._as_owner, *args], timeout=timeout)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base}"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                   f" -c max_connections={self.max_connections}")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.base / "postgres.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; "fast" ends every session at once, as an outage would."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        """Stop the server at once, if it runs, and delete its files."""
        import shutil

        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except (subprocess.SubprocessError, OSError):
                pass  # its files go all the same
        shutil.rmtree(self.base, ignore_errors=True)

    def make_database(self, service: str, migrations: Path | str) -> str:
        """A fresh, migrated database on this server (gone with the server)."""
        url = f"{self.url}/jii_test_{service}_{uuid.uuid4().hex[:10]}"
        migrate(url, migrations)
        return url


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started PostgreSQL server of this test's own (see `PrivatePostgres`), removed after."""
    server = PrivatePostgres.create()
    yield server
    server.remove()


def _killing_all(make: Callable) -> Iterator[Callable]:
    made: list = []

    def factory(*args):
        item = make(*args)
        made.append(item)
        return item

    yield factory
    for item in made:
        try:
            item.kill()
        except Exception:  # noqa: BLE001 - a teardown must reach every container
            pass


@pytest.fixture
def container_factory(make_database) -> Iterator[Callable]:
    """Nameko's fixture, ordered after `make_database` so services die before their databases."""
    from nameko.containers import get_container_cls

    yield from _killing_all(lambda cls, config: get_container_cls(config)(cls, config))


@pytest.fixture
def runner_factory(make_database) -> Iterator[Callable]:
    """Nameko's fixture, ordered after `make_database` so services die before their databases."""
    from nameko.runners import ServiceRunner

    def make(config, *services):
        runner = ServiceRunner(config)
        for service in services:
            runner.add_service(service)
        return runner

    yield from _killing_all(make)


@dataclass
class Platform:
    """Services started in this test's process by `platform_factory`."""

    configs: dict[str, dict]
    runners: dict[str, Any]
    url: str | None  # the gateway's, when it runs
    stripe: str | None  # localstripe's API base, when donations runs

    def database(self, name: str) -> str:
        return self.configs[name]["DATABASE_URL"]

    @property
    def amqp_uri(self) -> str:
        return next(iter(self.configs.values()))["AMQP_URI"]

    @property
    def staff_secret(self) -> str:
        return self.configs["gateway"]["STAFF_TOKEN_SECRET"]


@pytest.fixture
def platform_factory(request, service_config, make_database, runner_factory,
                     localstripe_factory) -> Callable[..., Platform]:
    """Start some of the platform's services in this process, wired by `servicekit.platform`
    as `jii dev run` wires them, each with a fresh database of its own, on this test's vhost;
    the gateway on a free port, donations on a localstripe of the test's own (webhooks to the
    gateway, or `webhooks_to`; `stripe` for another base), notifications on the SMTP sink.

    `overrides` are per service; `secrets`, `settings` go to every service that reads them;
    `prepare(name, runner)` runs before each service starts (e.g. to set a clock)."""
    from servicekit import platform

    def start(*names: str, overrides: dict[str, dict] | None = None,
              secrets: dict[str, str] | None = None, settings: dict[str, Any] | None = None,
              stripe: str | None = None, webhooks_to: str | None = None,
              public_url: str | None = None,
              prepare: Callable[[str, Any], None] | None = None) -> Platform:
        names = tuple(platform.in_start_order(names))
        secrets = {**TEST_SECRETS, **(secrets or {})}
        address = f"127.0.0.1:{free_port()}" if "gateway" in names else None
        url = f"http://{address}" if address else None
        if "donations" in names and stripe is None:
            stripe = localstripe_factory(webhooks_to or f"{url}/api/webhooks/stripe",
                                         secrets["STRIPE_WEBHOOK_SECRET"])
        smtp = request.getfixturevalue("smtp_sink") if "notifications" in names else None
        inputs = platform.Inputs(
            databases={name: make_database(name, platform.service(name).migrations())
                       for name in names},
            gateway_address=address, public_url=public_url, smtp_host=smtp and "127.0.0.1",
            smtp_port=smtp and smtp.port, stripe_base=stripe,
            stripe_key=stripe and platform.LOCALSTRIPE_API_KEY, secrets=secrets,
            settings=settings or {})
        configs = platform.configs(inputs, names, base=service_config(), overrides=overrides)
        runners = platform.start_in_process(
            configs, lambda config, cls: runner_factory(config, cls), prepare)
        return Platform(configs, runners, url, stripe)

    return start
