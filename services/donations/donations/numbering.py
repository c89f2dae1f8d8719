"""Receipt numbers, given after the payment's own transaction has committed.

A payment enters the ledger without a number (`ledger.enter_payment`) and its transaction
commits at once, so payments of a year never wait on one another there. The numbering step
then numbers, one step at a time per year (a transaction-level advisory lock), every committed
unnumbered payment of the year in one statement, and writes their `payment_succeeded` events —
which carry the number the thank-you e-mail prints — in the same transaction. The service runs
it right after a payment commits, in the worker that wrote it, and on a timer for whatever a
crash left between the two.

After a payment the worker does not wait for a year another step holds (`number_committed`
with wait=False): every step passes again once it has committed, and that pass sees any
payment committed before the lock was found taken. A payment is left to the timer only when
the step that held its year dies between its commit and its next pass.

Unique and gapless per year: the counter row, the numbers and the events commit together or
not at all, and only while the year's lock is held, so no two steps read the same counter; a
step that dies rolls back whole, and the next gives the same numbers again.

Order: a step numbers what it sees in the order the payments were entered (`entered`, from a
sequence at insert). A payment that took its sequence value first may commit after a later one
was numbered; it is then numbered by the next step, after that one. Exact commit order is not
something a query can read (it would need track_commit_timestamp), and it is not what matters:
a number, once given, never changes, and none is skipped or given twice. Each step's statement
takes its snapshot after the lock is held (read committed, the lock taken in a statement of its
own), so every payment committed before the step began holding the lock is numbered by it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from typing import Any

import psycopg
from servicekit.events.outbox import OutboxWriter

_NUMBER = """
WITH todo AS (
    SELECT p.id, p.pending_event, s.name, s.email, s.locale,
           row_number() OVER (ORDER BY p.entered) AS n
      FROM payments p JOIN supporters s ON s.id = p.supporter_id
     WHERE p.receipt_year = %(year)s AND p.receipt_number IS NULL
), taken AS (
    INSERT INTO receipt_counters (year, last_number)
    SELECT %(year)s, count(*) FROM todo HAVING count(*) > 0
    ON CONFLICT (year) DO UPDATE
        SET last_number = receipt_counters.last_number + EXCLUDED.last_number
    RETURNING last_number
), numbered AS (
    SELECT todo.*, taken.last_number - (SELECT count(*) FROM todo) + todo.n AS number
      FROM todo, taken
)
UPDATE payments p
   SET receipt_number = format('R%%s-%%s', %(year)s, CASE
           WHEN numbered.number < 1000000 THEN lpad(numbered.number::text, 6, '0')
           ELSE numbered.number::text END),  -- lpad would cut a seventh digit off
       pending_event = NULL
  FROM numbered WHERE p.id = numbered.id
RETURNING p.id, p.supporter_id, p.receipt_number, numbered.number, numbered.pending_event,
          numbered.name, numbered.email, numbered.locale
"""


class NotNumbered(Exception):
    """The payment has no receipt number yet: the step that gives it failed or has not run
    (it is retried on the timer)."""


def lock_year(conn: psycopg.Connection, year: int, *, wait: bool = True) -> bool:
    """The year's numbering lock, held until the transaction ends; False when `wait` is False
    and another transaction holds it."""
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    row = conn.execute(f"SELECT {function}(hashtextextended(%s, 0))::text AS taken",
                       (f"receipt-numbering:{year}",)).fetchone()
    return row["taken"] != "false"  # the waiting form returns void, once it has the lock


def number_year(conn: psycopg.Connection, outbox: OutboxWriter, year: int, *,
                wait: bool = True) -> list[str] | None:
    """Number every committed unnumbered payment of `year` and write their events; returns
    the ids numbered, in number order, or None when `wait` is False and the year is taken.

    Take it before locking any payment row in the transaction: the step locks the year, then
    the rows it numbers, and a transaction holding a row it waits for would deadlock with it.
    """
    if not lock_year(conn, year, wait=wait):
        return None
    return _number_locked(conn, outbox, year)


def _number_locked(conn: psycopg.Connection, outbox: OutboxWriter, year: int) -> list[str]:
    """`number_year` once the year's lock is held."""
    rows = sorted(conn.execute(_NUMBER, {"year": year}).fetchall(), key=lambda r: r["number"])
    for row in rows:
        if row["email"] is None:
            # The supporter was erased before the number came (a card gift completing after
            # the erasure): nobody to thank, and an event without a name would stop the year.
            continue
        pending = row["pending_event"]
        # One step may number payments of many requests: each event keeps its own's id.
        writer = OutboxWriter(outbox.source, pending["correlation_id"] or outbox.correlation_id)
        writer.add(conn, "payment_succeeded", {
            "supporter_id": str(row["supporter_id"]), "name": row["name"],
            "email": row["email"], "locale": row["locale"], **pending["data"],
            "receipt_number": row["receipt_number"]})
    return [str(row["id"]) for row in rows]


# The years with unnumbered payments, each locked if free, in one statement (no waiting:
# order does not matter, as nothing waits). The read's snapshot predates the locks, as
# `pending_years` before `lock_year` does; `_NUMBER`, a statement of its own, reads after them.
_PENDING_TAKEN = """
SELECT receipt_year,
       pg_try_advisory_xact_lock(hashtextextended('receipt-numbering:' || receipt_year, 0))
           AS taken
  FROM (SELECT DISTINCT receipt_year FROM payments WHERE receipt_number IS NULL) pending
 ORDER BY receipt_year
"""


def pending_years(conn: psycopg.Connection) -> list[int]:
    rows = conn.execute("SELECT DISTINCT receipt_year FROM payments"
                        " WHERE receipt_number IS NULL ORDER BY 1").fetchall()
    return [row["receipt_year"] for row in rows]


def number_pending(conn: psycopg.Connection, outbox: OutboxWriter) -> list[str]:
    """Number every committed unnumbered payment, year by year, waiting for each year's
    lock; the ids numbered. When nothing waits this is one read of a small partial index."""
    return _number_pending(conn, outbox, wait=True)[0]


def _number_pending(conn: psycopg.Connection, outbox: OutboxWriter,
                    wait: bool) -> tuple[list[str], bool]:
    """The ids numbered, and whether any year's lock was held (the locks are taken in
    ascending years, so two steps spanning New Year cannot deadlock)."""
    numbered: list[str] = []
    held = False
    if not wait:
        for row in conn.execute(_PENDING_TAKEN).fetchall():
            if row["taken"]:
                numbered += _number_locked(conn, outbox, row["receipt_year"])
                held = True
        return numbered, held
    for year in pending_years(conn):
        ids = number_year(conn, outbox, year, wait=wait)
        if ids is not None:
            numbered += ids
            held = True
    return numbered, held


def number_committed(transaction: Callable[[], ContextManager[psycopg.Connection]],
                     outbox: OutboxWriter, *, wait: bool) -> list[str]:
    """The numbering step as the service runs it, each pass in a transaction of its own
    (`transaction` opens one); the ids numbered.

    After each pass that held a year's lock it passes again, once committed: a step that found
    the lock taken (wait=False) left its payment to the holder, and this later pass is the
    one that sees it. The first pass waits for busy years when `wait` is True (a caller that
    needs the numbers), later ones never do."""
    numbered: list[str] = []
    while True:
        with transaction() as conn:
            ids, held = _number_pending(conn, outbox, wait)
        numbered += ids
        if not held:
            return numbered
        wait = False


def number_payment(conn: psycopg.Connection, outbox: OutboxWriter,
                   payment_id: str) -> str | None:
    """The payment's receipt number, given now with its year's if it has none yet; None when
    there is no such payment. Call it before locking the payment's row (see number_year)."""
    row = conn.execute("SELECT receipt_number, receipt_year FROM payments WHERE id = %s",
                       (payment_id,)).fetchone()
    if row is None:
        return None
    if row["receipt_number"] is None:
        number_year(conn, outbox, row["receipt_year"])
        row = conn.execute("SELECT receipt_number FROM payments WHERE id = %s",
                           (payment_id,)).fetchone()
    return row["receipt_number"]


def require_number(payment: dict[str, Any]) -> str:
    """A payment row's receipt number, for a path that must print or send it."""
    if payment["receipt_number"] is None:
        raise NotNumbered(f"payment {payment['id']} has no receipt number yet")
    return payment["receipt_number"]
