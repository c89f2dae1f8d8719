"""`jii events tail` prints the events published to the services' exchanges, live."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kombu import Connection
from servicekit.events.relay import event_exchange

JII = str(Path(sys.executable).parent / "jii")


@pytest.fixture
def amqp(rabbit_config) -> str:
    return rabbit_config["AMQP_URI"]


def start_tail(uri: str, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [JII, "events", "tail", *args], env={**os.environ, "AMQP_URI": uri},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )
    # It says so on stderr once its queue is bound: anything published from now on is seen.
    line = proc.stderr.readline().decode()
    assert line.startswith("tailing "), line + proc.stderr.read().decode()
    return proc


def publish(uri: str, source: str, event_type: str) -> dict:
    event_id = str(uuid.uuid4())
    body = {
        "id": event_id, "type": event_type, "version": 1, "source": source,
        "occurred_at": "2026-11-01T00:00:00+00:00", "correlation_id": event_id,
        "data": {"amount": 3000, "locale": "ja"},
    }
    with Connection(uri) as conn:
        conn.Producer().publish(
            body, exchange=event_exchange(f"{source}.events"), routing_key=event_type,
            serializer="json", message_id=event_id,
        )
    return body


def test_tail_prints_an_event_published_to_donations_events(amqp):
    proc = start_tail(amqp, "--count", "1", "--timeout", "30")
    event = publish(amqp, "donations", "payment_succeeded")
    out, err = proc.communicate(timeout=40)
    assert proc.returncode == 0, err.decode()
    (line,) = out.decode().splitlines()
    assert json.loads(line) == event


def test_tail_with_type_and_source_prints_only_matching_events(amqp):
    proc = start_tail(amqp, "--type", "pledge_created", "--source", "donations",
                      "--count", "1", "--timeout", "30")
    publish(amqp, "donations", "payment_succeeded")
    publish(amqp, "programs", "pledge_created")
    wanted = publish(amqp, "donations", "pledge_created")
    out, err = proc.communicate(timeout=40)
    assert proc.returncode == 0, err.decode()
    assert [json.loads(line) for line in out.decode().splitlines()] == [wanted]


def test_tail_that_times_out_before_its_count_exits_non_zero(amqp):
    proc = start_tail(amqp, "--count", "1", "--timeout", "1")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert out == b""
    assert b"timed out after 0 of 1" in err


def test_tail_takes_shell_globs_for_type_and_source(amqp):
    proc = start_tail(amqp, "--type", "payment_*", "--source", "don*",
                      "--count", "2", "--timeout", "30")
    publish(amqp, "donations", "pledge_started")
    publish(amqp, "programs", "payment_succeeded")
    wanted = [publish(amqp, "donations", "payment_succeeded"),
              publish(amqp, "donations", "payment_refunded")]
    out, err = proc.communicate(timeout=40)
    assert proc.returncode == 0, err.decode()
    assert [json.loads(line) for line in out.decode().splitlines()] == wanted


def test_tail_refuses_a_source_glob_that_matches_no_service(amqp):
    proc = subprocess.run([JII, "events", "tail", "--source", "billing*", "--timeout", "1"],
                          env={**os.environ, "AMQP_URI": amqp}, capture_output=True, timeout=30)
    assert proc.returncode == 1
    assert b"unknown source billing*" in proc.stderr
