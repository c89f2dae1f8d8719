"""`jii dlq list | show | replay | purge` against the real broker, on a private vhost."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from jii_cli.main import main
from kombu import Connection, Queue
from servicekit.events.topology import (
    ATTEMPT_HEADER,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    QUEUE_HEADER,
)
from servicekit.testing import park_dead_letter

SERVICE = "notifications"
DLQ = f"{SERVICE}.dlq"
HANDLER_QUEUE = "evt-donations-payment_succeeded--notifications.send_thanks"


@pytest.fixture
def amqp(rabbit_config, monkeypatch) -> str:
    uri = rabbit_config["AMQP_URI"]
    monkeypatch.setenv("AMQP_URI", uri)
    return uri


def envelope(event_type: str = "payment_succeeded") -> dict:
    event_id = str(uuid.uuid4())
    return {
        "id": event_id, "type": event_type, "version": 1, "source": "donations",
        "occurred_at": "2026-11-01T00:00:00+00:00", "correlation_id": event_id,
        "data": {"amount": 3000},
    }


def park(uri: str, body: dict, error: str, queue: str = HANDLER_QUEUE, attempt: int = 4) -> str:
    return park_dead_letter(uri, SERVICE, body, error, queue, attempt)


def drain(uri: str, queue: str) -> list:
    """Take every message out of `queue` (for checking what is in it)."""
    taken = []
    with Connection(uri) as conn:
        channel = conn.channel()
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            taken.append(message)
    return taken


def depth(uri: str, queue: str) -> int:
    with Connection(uri) as conn:
        return conn.channel().queue_declare(queue, passive=True).message_count


ERROR = "Traceback (most recent call last):\n  ...\nSMTPServerDisconnected: gone"


def test_list_shows_parked_events_in_order_without_consuming_them(amqp, capsys):
    first = park(amqp, envelope("payment_succeeded"), ERROR)
    second = park(amqp, envelope("pledge_created"), "ValueError: bad locale")

    assert main(["dlq", "list", SERVICE]) == 0
    out = capsys.readouterr().out
    assert f"{DLQ}: 2 message(s)" in out
    rows = [line for line in out.splitlines() if line[:1].isdigit()]
    assert rows[0].split()[:4] == ["1", first, "payment_succeeded", HANDLER_QUEUE]
    assert rows[1].split()[:4] == ["2", second, "pledge_created", HANDLER_QUEUE]
    assert rows[0].endswith("SMTPServerDisconnected: gone")  # the last line of the error
    assert "Traceback" not in out

    # Still there, still in the same order.
    assert depth(amqp, DLQ) == 2
    assert main(["dlq", "list", SERVICE]) == 0
    rows_again = [line for line in capsys.readouterr().out.splitlines() if line[:1].isdigit()]
    assert rows_again == rows


def test_list_of_a_dlq_that_never_received_anything_is_empty(amqp, capsys):
    assert main(["dlq", "list", "matching"]) == 0
    assert "matching.dlq: 0 message(s)" in capsys.readouterr().out


def test_show_prints_the_whole_envelope_and_error_by_index_or_message_id(amqp, capsys):
    park(amqp, envelope(), "ValueError: first")
    body = envelope("pledge_created")
    message_id = park(amqp, body, ERROR)

    for ref in ("2", message_id):
        assert main(["dlq", "show", SERVICE, ref]) == 0
        out = capsys.readouterr().out
        shown = json.loads(out.split("\nerror:\n")[0])
        assert shown["envelope"] == body
        assert shown["handler_queue"] == HANDLER_QUEUE
        assert shown["attempt"] == 4
        assert out.rstrip().endswith(ERROR)
    assert depth(amqp, DLQ) == 2


def test_show_of_an_unknown_message_fails(amqp, capsys):
    park(amqp, envelope(), ERROR)
    assert main(["dlq", "show", SERVICE, "7"]) == 1
    assert "no message 7" in capsys.readouterr().err
    assert depth(amqp, DLQ) == 1


def test_replay_moves_one_event_back_to_its_handler_queue_with_attempts_reset(amqp, capsys):
    with Connection(amqp) as conn:
        Queue(HANDLER_QUEUE, durable=True)(conn.channel()).declare()
    kept_body, replayed_body = envelope(), envelope("pledge_created")
    kept = park(amqp, kept_body, "ValueError: keep me")
    replayed = park(amqp, replayed_body, ERROR)

    assert main(["dlq", "replay", SERVICE, replayed]) == 0
    assert f"replayed {replayed} (pledge_created) to {HANDLER_QUEUE}" in capsys.readouterr().out

    (delivered,) = drain(amqp, HANDLER_QUEUE)
    assert json.loads(delivered.body) == replayed_body
    assert delivered.properties["message_id"] == replayed
    assert delivered.properties["content_type"] == "application/json"
    headers = delivered.properties["application_headers"]
    assert headers[ATTEMPT_HEADER] == 0
    assert not {QUEUE_HEADER, ERROR_HEADER, FAILED_AT_HEADER} & set(headers)
    assert headers["nameko.correlation_id"] == replayed_body["correlation_id"]

    (left,) = drain(amqp, DLQ)
    assert left.properties["message_id"] == kept


def test_replay_all_empties_the_dlq_into_the_handler_queues(amqp, capsys):
    with Connection(amqp) as conn:
        Queue(HANDLER_QUEUE, durable=True)(conn.channel()).declare()
    ids = [park(amqp, envelope(), ERROR) for _ in range(3)]
    assert main(["dlq", "replay", SERVICE, "--all"]) == 0
    assert depth(amqp, DLQ) == 0
    assert [m.properties["message_id"] for m in drain(amqp, HANDLER_QUEUE)] == ids


def test_replay_to_a_queue_that_no_longer_exists_leaves_the_event_parked(amqp, capsys):
    message_id = park(amqp, envelope(), ERROR, queue="gone-queue")
    assert main(["dlq", "replay", SERVICE, message_id]) == 1
    assert "gone-queue does not exist" in capsys.readouterr().err
    assert depth(amqp, DLQ) == 1


def test_replay_without_a_choice_refuses(amqp, capsys):
    park(amqp, envelope(), ERROR)
    assert main(["dlq", "replay", SERVICE]) == 1
    assert "--all" in capsys.readouterr().err
    assert depth(amqp, DLQ) == 1


def test_purge_empties_the_dlq_but_only_when_confirmed(amqp, capsys, monkeypatch):
    park(amqp, envelope(), ERROR)
    park(amqp, envelope(), ERROR)

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal to ask on
    assert main(["dlq", "purge", SERVICE]) == 1
    assert "--yes" in capsys.readouterr().err
    assert depth(amqp, DLQ) == 2

    assert main(["dlq", "purge", SERVICE, "--yes"]) == 0
    assert f"purged 2 message(s) from {DLQ}" in capsys.readouterr().out
    assert depth(amqp, DLQ) == 0


def test_unknown_service_is_refused(amqp, capsys):
    assert main(["dlq", "list", "billing"]) == 1
    assert "unknown service billing" in capsys.readouterr().err
