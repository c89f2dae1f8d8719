"""PostgreSQL access for services: a psycopg 3 pool as a Nameko dependency.

Under eventlet psycopg's default C wait function blocks the whole process while a query
runs, so one slow query would stall every worker. The selector-based wait function yields to
the eventlet hub instead; it must be chosen before psycopg is imported. Once imported, the
wait is `servicekit.green_wait.wait_green`, which yields the same way but only when the socket
would block.
"""

from __future__ import annotations

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")

import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from typing import TypeVar  # noqa: E402

import psycopg  # noqa: E402
import psycopg.waiting  # noqa: E402
from eventlet.patcher import original  # noqa: E402
from nameko.extensions import DependencyProvider  # noqa: E402
from psycopg.pq import TransactionStatus  # noqa: E402
from psycopg.rows import dict_row  # noqa: E402
from psycopg_pool import ConnectionPool  # noqa: E402

from servicekit.config import database_url  # noqa: E402
from servicekit.errors import is_outage  # noqa: E402
from servicekit.green_wait import wait_green  # noqa: E402

# Also covers a psycopg imported before this module (the environment variable is then too late).
psycopg.waiting.wait = wait_green


def assert_cooperative() -> None:
    """Refuse to start a service whose queries would block every green thread."""
    if psycopg.waiting.wait is not wait_green:
        raise RuntimeError(
            "psycopg is using a blocking wait function; set PSYCOPG_WAIT_FUNC=wait_selector"
        )


def connect(url: str, **kwargs) -> psycopg.Connection:
    """A single connection with dict rows, for tools and tests outside a service."""
    return psycopg.connect(url, row_factory=dict_row, **kwargs)


class Session:
    """What a worker gets: one transaction per unit of work, drawn from the pool."""

    def __init__(self, pool: ConnectionPool):
        self._pool = pool

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """Commit everything done on the connection when the block ends, or roll it all back."""
        with self._pool.connection() as conn:
            with conn.transaction():
                yield conn

    @contextmanager
    def batched_transaction(self) -> Iterator[psycopg.Connection]:
        """`transaction`, with the statements sent in batches (psycopg's pipeline mode):
        BEGIN and every statement up to the first result read go in one exchange, the rest
        and COMMIT in the next. For short transactions on a hot path, where the exchanges
        with the server cost more than the statements.

        Statements run in order as always; what changes for the block is that a statement's
        result (rows, rowcount, an error) is known only once it is read or the block ends.
        psycopg's own transaction would wait for the server after BEGIN and after COMMIT, so
        BEGIN and COMMIT are sent here as plain statements on an autocommit connection.
        """
        with self._pool.connection() as conn:
            conn.autocommit = True
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    yield conn
                    conn.execute("COMMIT")
            except BaseException:
                _abandon(conn)
                raise
            conn.autocommit = False

    def retrying(self, work: Callable[[psycopg.Connection], T], *, within: float = 60.0,
                 first_delay: float = 0.1, batched: bool = False) -> T:
        """Run `work` in a transaction (a `batched_transaction` if `batched`); on a lost
        connection or an unreachable server, run it again on a fresh connection with growing
        delays, for up to `within` seconds.

        For writes that must not be lost once something outside the database happened (an
        e-mail handed to the relay). `work` must be idempotent: a failure reported at COMMIT
        may come after the server committed, and the retry then runs it a second time.
        """
        deadline = time.monotonic() + within
        delay = first_delay
        begin = self.batched_transaction if batched else self.transaction
        while True:
            try:
                with begin() as conn:
                    return work(conn)
            except Exception as exc:
                # The same rule as consumers and RPC: only an outage is worth waiting out.
                if not is_outage(exc) or time.monotonic() + delay > deadline:
                    raise
            # Broken idle connections are dropped now, rather than handed out one by one.
            self._pool.check()
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


T = TypeVar("T")

# The unpatched poll: a zero-timeout look must not hand the worker to the eventlet hub (and,
# unlike select, it takes descriptors above 1023, which a busy process reaches).
_select_module = original("select")


def _readable(fd: int) -> bool:
    poller = _select_module.poll()
    poller.register(fd, _select_module.POLLIN)
    return bool(poller.poll(0))


def check_idle_connection(conn: psycopg.Connection) -> None:
    """The pool's check before handing out a connection, without a round trip when the
    connection shows no sign of trouble; raises when it is unusable.

    A connection the server ended (a restart, pg_terminate_backend, an idle timeout) has its
    goodbye or end-of-file waiting on the socket; a healthy idle one has nothing to read. So
    the socket is polled, and only a readable one (or one already known broken) gets the
    pool's full check, an empty query: that check cost every transaction one exchange with
    the server. A connection whose network silently vanished is not caught here, as the full
    check would only catch it after its timeout: the statement fails as an outage instead.
    """
    if conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
        ConnectionPool.check_connection(conn)  # raises for a closed or broken one
        return
    if _readable(conn.fileno()):
        ConnectionPool.check_connection(conn)


def _abandon(conn: psycopg.Connection) -> None:
    """After a failed batched transaction: roll back and hand the connection back plain, or,
    when it cannot (lost, or its pipeline left busy by the failure), close it so the pool
    replaces it. Never raises: the failure that got us here is the one to report."""
    try:
        if conn.info.transaction_status != TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
        conn.autocommit = False
    except psycopg.Error:
        conn.close()


class Database(DependencyProvider):
    """A connection pool created at service set-up (never at import) from `DATABASE_URL`."""

    def __init__(self, min_size: int = 1, max_size: int | None = None):
        self.min_size = min_size
        self.max_size = max_size
        self.pool: ConnectionPool | None = None

    def setup(self) -> None:
        assert_cooperative()
        config = self.container.config
        max_size = self.max_size or int(config.get("DB_POOL_SIZE", 10))
        self.pool = ConnectionPool(
            database_url(config),
            min_size=min(self.min_size, max_size),
            max_size=max_size,
            kwargs={"row_factory": dict_row, "autocommit": False},
            open=False,
            max_idle=60,
            # After a database restart every pooled connection is dead; checking one before
            # handing it out replaces it instead of failing the request that drew it.
            check=check_idle_connection,
            # While the database is away a request fails (a 503) within this long instead of
            # holding its worker past the caller's own timeout.
            timeout=float(config.get("DB_POOL_TIMEOUT_SECONDS", 5)),
            name=f"{self.container.service_name}-db",
        )

    def start(self) -> None:
        self.pool.open(wait=True, timeout=30)

    def stop(self) -> None:
        self.pool.close()

    def kill(self) -> None:
        self.pool.close()

    def get_dependency(self, worker_ctx) -> Session:
        return Session(self.pool)
