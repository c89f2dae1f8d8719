"""What the shared test fixtures promise although their processes and schemas outlive a test:
a copied database is fully migrated and the test's own, a borrowed localstripe starts empty
and never sends a webhook meant for the test before, and the shared SMTP sink keeps each test's
mail apart."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import socket
import subprocess
import urllib.parse
import urllib.request
import uuid
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from servicekit import testing
from servicekit.devtools.parallel_tests import connections_needed
from servicekit.devtools.ports import outgoing_ports_start
from servicekit.migrations import migrate
from servicekit.testing import (
    DatabaseTemplates,
    HttpCapture,
    LocalstripePool,
    PrivatePostgres,
    PrivateRabbit,
    ProgramFailed,
    SharedSmtpSink,
    free_port,
    query,
    wait_until,
)

KIT_ONLY = Path(__file__).parent / "migrations"


def test_each_database_is_a_fully_migrated_copy_of_its_own(make_database):
    first = make_database("kit", KIT_ONLY)
    second = make_database("kit", KIT_ONLY)
    assert first != second
    assert migrate(first, KIT_ONLY) == []  # nothing left to apply
    query(first, "INSERT INTO inbox (handler, event_id) VALUES ('h', gen_random_uuid())"
                 " RETURNING handler")
    assert query(second, "SELECT * FROM inbox") == []
    assert len(query(first, "SELECT * FROM inbox")) == 1


def test_other_migrations_get_a_template_of_their_own(database_templates: DatabaseTemplates,
                                                      make_database, tmp_path):
    extra = tmp_path / "migrations"
    extra.mkdir()
    (extra / "0001-kit-test-tables.sql").write_text(
        (KIT_ONLY / "0001-kit-test-tables.sql").read_text())
    plain = make_database("kit", KIT_ONLY)
    (extra / "0002-one-more.sql").write_text("CREATE TABLE one_more (id int);\n")
    more = make_database("kit", extra)
    assert query(more, "SELECT count(*) AS n FROM one_more") == [{"n": 0}]
    assert not query(plain, "SELECT 1 FROM pg_tables WHERE tablename = 'one_more'")


def _stripe(base: str, path: str, **form: str) -> dict:
    request = urllib.request.Request(
        base + path, data=urllib.parse.urlencode(form).encode() if form else None,
        headers={"Authorization": "Bearer sk_test_localstripe"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_a_borrowed_localstripe_is_empty_and_gets_no_webhook_meant_for_the_test_before(
        localstripe_pool: LocalstripePool):
    first, second = HttpCapture(), HttpCapture()
    base = localstripe_pool.borrow(first.url, "whsec_first")
    try:
        # localstripe sends customer.created a second later, to whichever webhook is set then
        _stripe(base, "/v1/customers", email="before@example.com")
        localstripe_pool.give_back(base)
        again = localstripe_pool.borrow(second.url, "whsec_second")
        assert again == base  # the same process, emptied
        assert _stripe(again, "/v1/customers")["data"] == []
        _stripe(again, "/v1/customers", email="after@example.com")
        # The first customer's webhook was due before this one: had it survived the reset,
        # it would be here by the time this one is.
        wait_until(lambda: second.deliveries, message="the second borrower's webhook")
        [delivery] = second.deliveries
        event = json.loads(delivery.body)
        assert (event["type"], event["data"]["object"]["email"]) == (
            "customer.created", "after@example.com")
        timestamp, signature = (part.split("=", 1)[1] for part in delivery.signature.split(","))
        expected = hmac.new(b"whsec_second", f"{timestamp}.".encode() + delivery.body,
                            hashlib.sha256).hexdigest()
        assert signature == expected
        assert first.deliveries == []
    finally:
        localstripe_pool.give_back(base)
        first.close()
        second.close()


def _send(port: int, to: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "jii@example.org", to, "hello"
    message.set_content("hello")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


def test_the_shared_sink_keeps_each_borrowers_mail_apart(tmp_path):
    sink = SharedSmtpSink(tmp_path / "sink")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    try:
        port = sink.lend(first)
        _send(port, "a@example.org")
        _send(port, "b@example.org")
        sink.give_back()
        _send(port, "between@example.org")
        assert sink.lend(second) == port  # the same process
        _send(port, "c@example.org")
    finally:
        sink.close()
    names = {folder: sorted(path.name for path in folder.glob("*.eml"))
             for folder in (first, second, sink.spare)}
    assert [len(names[first]), len(names[second]), len(names[sink.spare])] == [2, 1, 1]
    # connections are numbered afresh for each borrower, as by a sink of its own
    assert [name.rsplit("-c", 1)[1] for name in names[first]] == ["1.eml", "2.eml"]
    assert [name.rsplit("-c", 1)[1] for name in names[second]] == ["1.eml"]


@pytest.mark.skipif(not (testing.PG_BIN / "initdb").exists(), reason="no PostgreSQL programs")
def test_a_run_starts_a_server_of_its_own_that_keeps_nothing_on_disk_and_removes_it(
        monkeypatch):
    monkeypatch.delenv("JII_TEST_PG_URL")  # as `make test` starts, before the workers
    monkeypatch.setattr(testing, "PG_SERVER", testing.PG_SERVER)
    config = SimpleNamespace(option=SimpleNamespace(numprocesses=3), stash=pytest.Stash())
    testing._start_suite_postgres(config)
    try:
        url = os.environ["JII_TEST_PG_URL"]
        assert testing.PG_SERVER == url != "postgresql://postgres@127.0.0.1:5432"
        settings = {row["name"]: row["setting"] for row in query(
            f"{url}/postgres", "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
            (["fsync", "synchronous_commit", "max_connections", "data_directory"],))}
        assert settings["fsync"] == settings["synchronous_commit"] == "off"
        assert settings["max_connections"] == str(connections_needed(3))
        data = Path(settings["data_directory"])
    finally:
        testing.pytest_unconfigure(config)
    assert not data.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(f"{url}/postgres", connect_timeout=2)


def test_a_named_server_is_used_as_it_is(monkeypatch):
    monkeypatch.setenv("JII_TEST_PG_URL", testing.PG_SERVER)
    config = SimpleNamespace(option=SimpleNamespace(numprocesses=3), stash=pytest.Stash())
    testing._start_suite_postgres(config)
    assert os.environ["JII_TEST_PG_URL"] == testing.PG_SERVER
    assert testing._SUITE_POSTGRES not in config.stash


def test_collecting_or_asking_for_help_starts_no_server(monkeypatch):
    monkeypatch.delenv("JII_TEST_PG_URL")
    config = SimpleNamespace(option=SimpleNamespace(collectonly=True, tx=None, numprocesses=2),
                             stash=pytest.Stash())
    testing.pytest_configure(config)
    assert testing._SUITE_POSTGRES not in config.stash
    assert "JII_TEST_PG_URL" not in os.environ


def test_a_server_that_cannot_be_made_says_why_and_leaves_nothing(monkeypatch):
    import stat
    import tempfile

    programs = Path(tempfile.mkdtemp(prefix="jii-test-pgbin-"))
    try:
        initdb = programs / "initdb"
        initdb.write_text("#!/bin/sh\necho 'initdb: no room left on /dev/shm' >&2\nexit 1\n")
        for path in (programs, initdb):  # run as the postgres user when the tests run as root
            path.chmod(path.stat().st_mode | stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP
                       | stat.S_IROTH | stat.S_IXOTH)
        monkeypatch.setattr(testing, "PG_BIN", programs)
        prefix = f"jii-test-broken-{uuid.uuid4().hex[:6]}-"
        with pytest.raises(subprocess.CalledProcessError) as failure:
            PrivatePostgres.create(prefix)
        assert "no room left on /dev/shm" in failure.value.output
        assert not list(Path("/dev/shm").glob(f"{prefix}*"))
        assert not list(Path(tempfile.gettempdir()).glob(f"{prefix}*"))
    finally:
        import shutil

        shutil.rmtree(programs, ignore_errors=True)


def test_a_free_port_is_below_the_ports_of_outgoing_connections_and_nothing_listens_on_it():
    below = outgoing_ports_start()
    ports = {free_port() for _ in range(20)}
    assert all(1024 <= port < below for port in ports)
    for port in ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_a_failed_server_program_says_what_it_printed_and_what_explains_it():
    with pytest.raises(ProgramFailed) as failure:
        testing.run_program(["sh", "-c", "echo started; echo 'nodedown' >&2; exit 69"],
                            timeout=10, explain=lambda: "\nthe log ends: boot failed")
    assert failure.value.returncode == 69
    assert str(failure.value).endswith("exit status 69.\nstarted\nnodedown\n\n"
                                       "the log ends: boot failed")


def test_a_private_brokers_failure_carries_the_end_of_its_log(tmp_path):
    rabbit = PrivateRabbit(tmp_path, 45000)
    log = tmp_path / "log" / f"{rabbit.node}.log"
    log.parent.mkdir()
    log.write_text("".join(f"line {n}\n" for n in range(100)))
    tail = rabbit._log_tail(lines=2)
    assert tail == f"\n{log.name} ends:\nline 98\nline 99"


@pytest.mark.skipif(not (testing.PG_BIN / "initdb").exists(), reason="no PostgreSQL programs")
def test_a_server_left_by_a_killed_run_is_removed_and_a_running_runs_is_kept():
    prefix = f"jii-test-abandoned-{uuid.uuid4().hex[:6]}-"
    abandoned = PrivatePostgres.create(prefix)
    alive = PrivatePostgres.create(prefix)
    dead = subprocess.Popen(["true"])
    dead.wait()
    (abandoned.base / "owner.pid").write_text(str(dead.pid))
    try:
        PrivatePostgres.remove_abandoned(prefix)
        assert not abandoned.base.exists()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(f"{abandoned.url}/postgres", connect_timeout=2)
        assert alive.base.exists()
        psycopg.connect(f"{alive.url}/postgres").close()
    finally:
        alive.remove()
        abandoned.remove()
