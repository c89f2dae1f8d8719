"""Sending each message exactly once: the delivery log, the suppression list and opt-outs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import psycopg
from servicekit.events.inbox import first_time

from notifications.mailer import (
    DeliveryOutcomeUnknown,
    Mailer,
    MailSession,
    PermanentDeliveryError,
    SmtpSettings,
    TemporaryDeliveryError,
    delivery_key,
    make_message_id,
)
from notifications.partners import erased_delivery_key
from notifications.render import UnknownMessageKind, render, rendered_locale

# Bulk mail (newsletters) honours bounces and opt-outs. Everything else is mail a person needs
# whatever their bounce history (receipts, pairing offers, card problems) and is never
# suppressed. A new kind is transactional unless it is listed here.
BULK = frozenset({"impact_update"})


def is_transactional(kind: str) -> bool:
    return kind not in BULK


@dataclass(frozen=True)
class Outgoing:
    """One message to one person, built from an event by `notifications.messages`."""

    kind: str
    to_addr: str
    to_name: str | None
    locale: str | None
    context: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


def _suppression_reason(conn: psycopg.Connection, kind: str, to_addr: str) -> str | None:
    if is_transactional(kind):
        return None
    if conn.execute("SELECT 1 FROM unsubscribes WHERE recipient = lower(%s) AND list = %s",
                    (to_addr, kind)).fetchone():
        return "unsubscribed"
    row = conn.execute("SELECT reason FROM suppressions WHERE recipient = lower(%s)",
                       (to_addr,)).fetchone()
    return f"bounced earlier: {row['reason']}"[:500] if row else None


@dataclass(frozen=True)
class DeliveryTiming:
    """How long an attempt may go without an outcome, and how long its outcome write retries.

    The grace must be longer than a live attempt can take (SMTP timeouts plus the outcome
    write's retries): until then a redelivered event waits for the attempt instead of judging
    it. After it, the attempt is settled as 'unknown' and never sent again automatically.
    """

    outcome_grace_seconds: float = 180.0
    outcome_write_seconds: float = 60.0


class AttemptInProgress(TemporaryDeliveryError):
    """Another attempt at this message started recently and has not recorded its outcome."""


@dataclass(frozen=True)
class InboxStep:
    """The event's inbox row (servicekit.events.inbox), read and written in the delivery log's
    own transactions instead of two more: `check` in the first message's claim (an event
    already handled sends nothing), `mark` with the last message's outcome (the event is
    handled once every recipient was served)."""

    handler: str
    event_id: str
    check: bool = False
    mark: bool = False


HANDLED = "already handled"
UNKNOWN_OUTCOME = ("no outcome recorded: the attempt was cut short (process stopped or database"
                   " lost) and the message may or may not have reached the relay")


def send_once(db: Any, mailer: Mailer | MailSession, *, event_id: str, message: Outgoing,
              timing: DeliveryTiming = DeliveryTiming(), inbox: InboxStep | None = None) -> str:
    """Render and send one message unless the log shows it was already settled.

    Returns the status recorded: sent, failed (permanent SMTP failure; the address is then
    suppressed for bulk mail), suppressed, unknown (an earlier attempt was cut short, or the
    relay's reply to this whole message was lost: not sent again), or duplicate (nothing
    done). A temporary failure is logged as deferred (attempt count and last error) and then
    raised, so the event is retried later; only a deferred row is ever tried again, and its
    retry settles that same row.

    The attempt is committed ('sending') before the relay is contacted and its outcome after,
    each write retried on a fresh connection, so neither a crash nor a database blip between
    SMTP and the log makes a redelivery send again. Both are batched transactions: on the hot
    path the exchanges with the database, not the statements, are what cost.

    With `inbox`, the claim may also answer `HANDLED` (the event's inbox row exists: nothing
    done), and a sent or failed outcome also writes the inbox row.
    """
    key = delivery_key(event_id, message.kind, message.to_addr)
    row: dict[str, Any] = {
        "key": key, "erased_key": erased_delivery_key(event_id, message.kind, message.to_addr),
        "event_id": event_id, "kind": message.kind, "recipient": message.to_addr,
        "attempt_id": str(uuid.uuid4())}
    built: list[EmailMessage] = []

    def build() -> None:  # only for a message that will be tried: not for a duplicate
        if not built:
            rendered = render(message.kind, message.locale, message.context)
            built.append(mailer.build_message(
                rendered, to_addr=message.to_addr, to_name=message.to_name, delivery_key=key,
                extra_headers=message.headers))
            row.update(locale=rendered.locale, message_id=built[0]["Message-ID"])

    if _claimed_fresh(db, mailer, row, message, timing, inbox):
        try:
            build()
        except Exception:
            _unclaim(db, row, timing)  # as `_claim` would have rolled back with the failure
            raise
    else:
        claimed = db.retrying(lambda conn: _claim(conn, row, message, timing, build, inbox),
                              within=timing.outcome_write_seconds, batched=True)
        if claimed != "claimed":
            return claimed
    email = built[0]
    mark = inbox if inbox is not None and inbox.mark else None
    try:
        mailer.send(email)
    except DeliveryOutcomeUnknown as exc:
        # The relay may have it: never sent again automatically, as for an attempt cut short
        # (and, like it, the event's inbox row is written apart: `deliver_all`).
        _settle(db, row, "unknown", str(exc)[:500], timing)
        return "unknown"
    except PermanentDeliveryError as exc:
        _settle(db, row, "failed", str(exc)[:500], timing, suppress=True, mark=mark)
        return "failed"
    except TemporaryDeliveryError as exc:
        _settle(db, row, "deferred", str(exc)[:500], timing)  # mailer errors carry no address
        raise
    _settle(db, row, "sent", None, timing, mark=mark)
    return "sent"


def _claim(conn: psycopg.Connection, row: dict[str, Any], message: Outgoing,
           timing: DeliveryTiming, build: Callable[[], None],
           inbox: InboxStep | None = None) -> str:
    """Record this attempt as 'sending' unless the log already settles the message.

    Returns "claimed" (go ahead and send) or the final status. Idempotent for one attempt id,
    as `Session.retrying` needs: a retry after an ambiguous COMMIT finds its own claim.
    """
    # Two copies of one event handled at the same moment must not both send: the second waits
    # here until the first commits its claim, then sees it (the next statement's snapshot is
    # taken after the lock). Queued together with the log's read: one exchange.
    if inbox is not None and inbox.check:
        locked = conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0)), EXISTS (SELECT 1 FROM inbox"
            " WHERE handler = %s AND event_id = %s) AS handled",
            (row["key"], inbox.handler, inbox.event_id))
    else:
        locked = conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0)),"
                              " false AS handled", (row["key"],))
    logged = conn.execute(
        "SELECT status, attempt_id::text AS attempt_id,"
        "       last_attempt_at < now() - make_interval(secs => %s) AS stale"
        "  FROM deliveries WHERE delivery_key IN (%s, %s) FOR UPDATE",
        (timing.outcome_grace_seconds, row["key"], row["erased_key"])).fetchone()
    if locked.fetchone()["handled"]:
        return HANDLED
    if logged and logged["attempt_id"] == row["attempt_id"]:
        return "claimed" if logged["status"] == "sending" else logged["status"]
    if logged and logged["status"] == "sending":
        if not logged["stale"]:
            raise AttemptInProgress("an earlier attempt has not recorded its outcome yet")
        conn.execute("UPDATE deliveries SET status = 'unknown', error = %s"
                     " WHERE delivery_key IN (%s, %s)",
                     (UNKNOWN_OUTCOME, row["key"], row["erased_key"]))
        return "unknown"
    if logged and logged["status"] != "deferred":
        return "duplicate"
    build()
    error = _suppression_reason(conn, message.kind, message.to_addr)
    if error:
        _log(conn, row, "suppressed", error, attempted=False)
        return "suppressed"
    _log(conn, row, "sending", None)
    return "claimed"


def _claimed_fresh(db: Any, mailer: Mailer | MailSession | Any, row: dict[str, Any],
                   message: Outgoing, timing: DeliveryTiming, inbox: InboxStep | None) -> bool:
    """The usual claim, a message never logged before, in one exchange with the server: True
    when this attempt is now committed as 'sending' (the message is built after it).

    `_claim` reads the log and then decides, two exchanges; here the decision for the usual
    case rides in the INSERT's condition, queued behind the same lock and locking read, and
    its result is read after COMMIT. The row's locale and Message-ID are worked out as the
    build will, without building. Anything else (a row under either key, the event already
    handled, bulk mail that may be suppressed, a kind without templates, a mailer that is not
    ours) writes nothing and is left to `_claim`, which locks and reads in its own transaction.
    """
    settings = _settings_of(mailer)
    if settings is None or not is_transactional(message.kind):
        return False
    try:
        locale = rendered_locale(message.kind, message.locale)
    except UnknownMessageKind:
        return False  # `_claim` fails the same way the build does
    check = inbox is not None and inbox.check
    params = {**row, "locale": locale, "handler": inbox.handler if check else None,
              "message_id": make_message_id(row["key"], settings.message_id_domain)}

    def claim(conn: psycopg.Connection) -> psycopg.Cursor:
        # The lock first, in a statement of its own, so the next statements' snapshots are
        # taken after it; the locking read waits for an erasure renaming the row meanwhile.
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (row["key"],))
        conn.execute("SELECT 1 FROM deliveries WHERE delivery_key IN (%s, %s) FOR UPDATE",
                     (row["key"], row["erased_key"]))
        return conn.execute(_CLAIM_FRESH + (_NOT_HANDLED if check else "") + _UNLESS_LOGGED,
                            params)

    inserted = db.retrying(claim, within=timing.outcome_write_seconds, batched=True)
    return inserted.rowcount == 1


def _settings_of(mailer: Any) -> SmtpSettings | None:
    # isinstance, not attribute lookups: a test's stand-in may refuse any use of the mailer.
    if isinstance(mailer, MailSession):
        return mailer.mailer.settings
    return mailer.settings if isinstance(mailer, Mailer) else None


def _unclaim(db: Any, row: dict[str, Any], timing: DeliveryTiming) -> None:
    """Withdraw this attempt's claim: the message could not be built, nothing was sent."""
    db.retrying(lambda conn: conn.execute(
        "DELETE FROM deliveries WHERE delivery_key = %s AND attempt_id = %s"
        " AND status = 'sending'", (row["key"], row["attempt_id"])),
        within=timing.outcome_write_seconds, batched=True)


_CLAIM_FRESH = """
INSERT INTO deliveries (delivery_key, event_id, kind, recipient, locale, message_id, status,
                        attempts, last_attempt_at, attempt_id)
SELECT %(key)s, %(event_id)s, %(kind)s, %(recipient)s, %(locale)s, %(message_id)s, 'sending',
       1, now(), %(attempt_id)s
 WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE delivery_key IN (%(key)s, %(erased_key)s))
"""
_NOT_HANDLED = """
   AND NOT EXISTS (SELECT 1 FROM inbox WHERE handler = %(handler)s AND event_id = %(event_id)s)
"""
# The lock and the condition already exclude it; this keeps a surprise from being an error.
_UNLESS_LOGGED = " ON CONFLICT (delivery_key) DO NOTHING"


def _settle(db: Any, row: dict[str, Any], status: str, error: str | None,
            timing: DeliveryTiming, suppress: bool = False, mark: InboxStep | None = None) -> None:
    """Record the outcome of this attempt (and with `mark`, the event's inbox row); retried on
    fresh connections, as the relay already has (or has refused) the message and forgetting
    that would send it again."""

    def write(conn: psycopg.Connection) -> None:
        if suppress:
            conn.execute("INSERT INTO suppressions (recipient, reason) VALUES (lower(%s), %s)"
                         " ON CONFLICT DO NOTHING", (row["recipient"], error))
        # Under either key (an erasure may have renamed the row meanwhile); 'unknown' too, in
        # case a redelivery judged this attempt while its outcome write was still retrying.
        conn.execute(
            "UPDATE deliveries SET status = %s, error = %s"
            " WHERE delivery_key IN (%s, %s) AND attempt_id = %s"
            "   AND status IN ('sending', 'unknown')",
            (status, error, row["key"], row["erased_key"], row["attempt_id"]))
        if mark is not None:
            first_time(conn, mark.handler, mark.event_id)

    db.retrying(write, within=timing.outcome_write_seconds, batched=True)


def _log(conn: psycopg.Connection, row: dict[str, Any], status: str, error: str | None,
         attempted: bool = True) -> None:
    # One row per delivery key: the first attempt inserts it, a retry of a deferred message
    # updates it. The WHERE keeps a settled row from ever being rewritten.
    conn.execute(
        """
        INSERT INTO deliveries (delivery_key, event_id, kind, recipient, locale, message_id,
                                status, error, attempts, last_attempt_at, attempt_id)
        VALUES (%(key)s, %(event_id)s, %(kind)s, %(recipient)s, %(locale)s, %(message_id)s,
                %(status)s, %(error)s, %(attempts)s, now(), %(attempt_id)s)
        ON CONFLICT (delivery_key) DO UPDATE
           SET status = EXCLUDED.status, error = EXCLUDED.error, locale = EXCLUDED.locale,
               attempts = deliveries.attempts + EXCLUDED.attempts,
               last_attempt_at = EXCLUDED.last_attempt_at, attempt_id = EXCLUDED.attempt_id
         WHERE deliveries.status = 'deferred'
        """,
        {**row, "status": status, "error": error, "attempts": int(attempted)},
    )


def deliver_all(db: Any, mailer: Mailer | Any, event_id: str, messages: Iterable[Outgoing],
                timing: DeliveryTiming = DeliveryTiming(),
                handler: str | None = None) -> dict[str, str] | None:
    """Send each message, logging each on its own; return {recipient kind: status}.

    Each message's log rows commit on their own, so a recipient already served is never sent
    to again when another recipient of the same event fails and the event is retried. A
    temporary failure does not stop the others either: it is raised once every message was
    tried, so the consumer retries the event with growing delays.

    With `handler`, the event's inbox row for that handler is read first (None is returned,
    nothing sent, when the event was already handled) and written once every message was
    settled; both ride in the delivery log's transactions where they can.
    """
    outgoing = list(messages)
    if handler is not None and not outgoing:
        with db.transaction() as conn:
            first_time(conn, handler, event_id)
        return {}
    statuses: dict[str, str] = {}
    temporary: TemporaryDeliveryError | None = None
    marked = False
    with mailer.session() as session:  # one relay connection for every recipient
        for i, message in enumerate(outgoing):
            label = f"{i}:{message.kind}"
            inbox = None if handler is None else InboxStep(
                handler, event_id, check=i == 0,
                mark=i == len(outgoing) - 1 and temporary is None)
            try:
                status = send_once(db, session, event_id=event_id, message=message,
                                   timing=timing, inbox=inbox)
            except AttemptInProgress as exc:
                status = "in progress"
                temporary = temporary or exc
            except TemporaryDeliveryError as exc:
                status = "deferred"
                temporary = temporary or exc
            if status == HANDLED:
                return None
            statuses[label] = status
            marked = inbox is not None and inbox.mark and status in ("sent", "failed")
    if temporary is not None:
        raise temporary
    if handler is not None and not marked:
        with db.transaction() as conn:
            first_time(conn, handler, event_id)
    return statuses
