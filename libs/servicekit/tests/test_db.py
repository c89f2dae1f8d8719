import select
import time

import eventlet
import psycopg.waiting
import pytest
from nameko.testing.services import entrypoint_hook
from servicekit.db import Database, assert_cooperative, check_idle_connection, connect
from servicekit.rpc import rpc

KIT_ONLY = __file__.rsplit("/", 1)[0] + "/migrations"


class SlowService:
    name = "slow"
    db = Database(max_size=10)

    @rpc
    def sleep(self, seconds):
        with self.db.transaction() as conn:
            conn.execute("SELECT pg_sleep(%s)", (seconds,))
        return seconds


def test_start_up_refuses_a_blocking_psycopg_wait_function(monkeypatch):
    monkeypatch.setattr(psycopg.waiting, "wait", psycopg.waiting.wait_c)
    with pytest.raises(RuntimeError, match="wait_selector"):
        assert_cooperative()


def test_ten_concurrent_slow_queries_take_about_as_long_as_one(
    container_factory, service_config, make_database
):
    url = make_database("slow", KIT_ONLY)
    container = container_factory(SlowService, service_config(url))
    container.start()
    with entrypoint_hook(container, "sleep") as sleep:
        started = time.monotonic()
        pool = eventlet.GreenPool()
        results = list(pool.imap(sleep, [0.5] * 10))
        elapsed = time.monotonic() - started
    assert results == [0.5] * 10
    # Serialised they would take 5 s; cooperative, close to 0.5 s.
    assert elapsed < 2.0, f"10 x pg_sleep(0.5) took {elapsed:.2f}s: queries are blocking the hub"


def test_a_transaction_that_raises_leaves_nothing_behind(
    container_factory, service_config, make_database
):
    url = make_database("slow", KIT_ONLY)
    container = container_factory(SlowService, service_config(url))
    container.start()
    db = next(d for d in container.extensions if isinstance(d, Database))
    with pytest.raises(ZeroDivisionError):
        with db.get_dependency(None).transaction() as conn:
            conn.execute("INSERT INTO inbox (handler, event_id) VALUES ('t', gen_random_uuid())")
            raise ZeroDivisionError("the unit of work fails")
    with db.get_dependency(None).transaction() as conn:
        assert conn.execute("SELECT count(*) AS n FROM inbox").fetchone()["n"] == 0


def _session(container_factory, service_config, make_database):
    container = container_factory(SlowService, service_config(make_database("slow", KIT_ONLY)))
    container.start()
    return next(d for d in container.extensions if isinstance(d, Database)).get_dependency(None)


def _inbox_count(session) -> int:
    with session.transaction() as conn:
        return conn.execute("SELECT count(*) AS n FROM inbox").fetchone()["n"]


def test_a_batched_transaction_commits_its_statements_together_and_reads_results_in_order(
    container_factory, service_config, make_database
):
    session = _session(container_factory, service_config, make_database)
    with session.batched_transaction() as conn:
        conn.execute("INSERT INTO inbox (handler, event_id) VALUES ('a', gen_random_uuid())")
        seen = conn.execute("SELECT count(*) AS n FROM inbox").fetchone()["n"]
        conn.execute("INSERT INTO inbox (handler, event_id) VALUES ('b', gen_random_uuid())")
    assert seen == 1, "a read sees the statements queued before it"
    assert _inbox_count(session) == 2
    with session.transaction() as conn:  # the pooled connection is a plain one again
        assert conn.autocommit is False


@pytest.mark.parametrize("failure", ["raised in the block", "refused by the server"])
def test_a_batched_transaction_that_fails_leaves_nothing_behind(
    container_factory, service_config, make_database, failure
):
    session = _session(container_factory, service_config, make_database)
    with pytest.raises((ZeroDivisionError, psycopg.errors.UniqueViolation)):
        with session.batched_transaction() as conn:
            conn.execute("INSERT INTO inbox (handler, event_id) VALUES"
                         " ('t', '00000000-0000-4000-8000-000000000001')")
            if failure == "raised in the block":
                raise ZeroDivisionError("the unit of work fails")
            conn.execute("INSERT INTO inbox (handler, event_id) VALUES"
                         " ('t', '00000000-0000-4000-8000-000000000001')")
    assert _inbox_count(session) == 0
    with session.transaction() as conn:
        assert conn.autocommit is False


@pytest.mark.parametrize("batched", [False, True])
def test_retrying_runs_the_work_again_on_a_fresh_connection_after_losing_one(
    container_factory, service_config, make_database, batched
):
    session = _session(container_factory, service_config, make_database)
    backends = []

    def write(conn):
        backends.append(conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"])
        if len(backends) == 1:  # the server goes away under the first attempt
            conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        conn.execute("INSERT INTO inbox (handler, event_id) VALUES ('t', gen_random_uuid())")
        return "written"

    assert session.retrying(write, within=10, batched=batched) == "written"
    assert len(backends) == 2 and backends[0] != backends[1]
    assert _inbox_count(session) == 1


def test_retrying_gives_up_once_its_time_is_spent(
    container_factory, service_config, make_database
):
    session = _session(container_factory, service_config, make_database)
    attempts = []

    def lost(conn):
        attempts.append(1)
        conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    with pytest.raises(psycopg.OperationalError):
        session.retrying(lost, within=0.5, first_delay=0.1)
    assert 2 <= len(attempts) <= 4


def test_retrying_does_not_repeat_work_that_failed_for_any_reason_but_an_outage(
    container_factory, service_config, make_database
):
    session = _session(container_factory, service_config, make_database)
    attempts = []

    def refused(conn):
        attempts.append(1)
        conn.execute("SELECT 1/0")

    with pytest.raises(psycopg.errors.DivisionByZero):
        session.retrying(refused, within=5)
    assert attempts == [1]


class SlowBatchedService:
    name = "slow_batched"
    db = Database(max_size=10)

    @rpc
    def sleep(self, seconds):
        with self.db.batched_transaction() as conn:
            conn.execute("SELECT pg_sleep(%s)", (seconds,))
        return seconds


def test_ten_concurrent_slow_batched_transactions_take_about_as_long_as_one(
    container_factory, service_config, make_database
):
    # Pipeline mode waits for reading and writing at once: that wait yields to the hub too.
    url = make_database("slow", KIT_ONLY)
    container = container_factory(SlowBatchedService, service_config(url))
    container.start()
    with entrypoint_hook(container, "sleep") as sleep:
        started = time.monotonic()
        results = list(eventlet.GreenPool().imap(sleep, [0.5] * 10))
        elapsed = time.monotonic() - started
    assert results == [0.5] * 10
    assert elapsed < 2.0, f"10 x pg_sleep(0.5) took {elapsed:.2f}s: queries are blocking the hub"


def test_a_batch_larger_than_the_socket_buffers_is_sent_and_answered_whole(
    container_factory, service_config, make_database
):
    # Tens of megabytes each way: the client must read answers while its own output is still
    # full, so it waits for the socket to be readable or writable at once.
    url = make_database("slow", KIT_ONLY)
    container = container_factory(SlowService, service_config(url))
    container.start()
    session = next(d for d in container.extensions if isinstance(d, Database)).get_dependency(None)
    padding = "x" * 1_000_000
    with session.batched_transaction() as conn:
        cursors = [conn.execute("SELECT %s::text AS padding, %s::int AS i", (padding, i))
                   for i in range(40)]
        answers = [cursor.fetchone() for cursor in cursors]
    assert [row["i"] for row in answers] == list(range(40))
    assert all(row["padding"] == padding for row in answers)


def _last_query(url: str, pid: int) -> str:
    with connect(url) as watcher:
        return watcher.execute("SELECT query FROM pg_stat_activity WHERE pid = %s",
                               (pid,)).fetchone()["query"]


def _ended_by_the_server(url: str, conn) -> None:
    """The server ends `conn`'s backend; returns once its goodbye has reached the socket."""
    with connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
    readable, _, _ = select.select([conn.fileno()], [], [], 10)
    assert readable, "the server's goodbye never arrived"


def test_a_healthy_idle_connection_passes_the_pool_check_without_a_statement(make_database):
    url = make_database("slow", KIT_ONLY)
    with connect(url, autocommit=True) as conn:
        conn.execute("SELECT 'the last statement sent'")
        check_idle_connection(conn)
        assert _last_query(url, conn.info.backend_pid) == "SELECT 'the last statement sent'"


def test_a_connection_the_server_ended_fails_the_pool_check(make_database):
    url = make_database("slow", KIT_ONLY)
    with connect(url) as conn:
        _ended_by_the_server(url, conn)
        with pytest.raises(psycopg.OperationalError):
            check_idle_connection(conn)


def test_the_pool_replaces_a_connection_the_server_ended_instead_of_failing_with_it(
    container_factory, service_config, make_database
):
    session = _session(container_factory, service_config, make_database)
    with session.transaction() as conn:
        first = conn.info.backend_pid
    _ended_by_the_server(session._pool.conninfo, conn)
    with session.transaction() as conn:
        assert conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"] != first
