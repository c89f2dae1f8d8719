"""Producers are strict and consumers tolerant, so a contract can grow an optional field
without old consumers parking the new events during a rolling deploy."""

import uuid

import pytest
from contracts import ContractError, validate_data, validate_envelope

REFUND = {
    "supporter_id": str(uuid.uuid4()), "name": "Ann Lee", "email": "ann@example.org",
    "locale": "en", "payment_id": str(uuid.uuid4()), "refund_id": str(uuid.uuid4()),
    "source": "card_one_time", "receipt_number": "R2026-000007", "amount": 1000,
    "payment_amount": 3000, "refunded_total": 1000, "fully_refunded": False,
    "currency": "jpy", "refunded_at": "2026-04-02T00:00:00+00:00",
}


def envelope(data: dict, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "type": "payment_refunded", "version": 1,
            "source": "donations", "occurred_at": "2026-04-02T00:00:00+00:00",
            "correlation_id": "c-1", "data": data, **extra}


def test_a_producer_cannot_write_a_field_its_contract_does_not_name():
    with pytest.raises(ContractError) as refused:
        validate_data("donations", "payment_refunded", 1, {**REFUND, "refund_reason": "dup"})
    assert "refund_reason" in refused.value.messages


def test_a_consumer_accepts_an_event_from_a_newer_producer_with_an_added_field():
    received = envelope({**REFUND, "refund_reason": "duplicate"}, trace="abc")
    assert validate_envelope(received) is received


def test_a_consumer_still_refuses_an_event_missing_what_its_contract_requires():
    incomplete = {key: value for key, value in REFUND.items() if key != "receipt_number"}
    with pytest.raises(ContractError):
        validate_envelope(envelope(incomplete))


def test_a_field_added_inside_a_nested_object_is_tolerated_too_and_producers_stay_strict():
    from contracts.matching import SPOT_KINDS

    person = {"participant_id": str(uuid.uuid4()), "name": "Kenji", "email": "k@example.org",
              "locale": "ja"}
    assigned = {"spot_request_id": str(uuid.uuid4()), "kind": SPOT_KINDS[0],
                "starts_at": "2026-04-11T01:00:00+00:00", "area": "shinjuku",
                "languages": ["ja"],
                "requester": {"name": "Maya", "email": "m@example.org", "locale": "ne"},
                "volunteer": {**person, "phone": "090-0000-0000"}}
    received = {**envelope(assigned), "type": "spot_request_assigned", "source": "matching"}
    assert validate_envelope(received) is received
    with pytest.raises(ContractError) as refused:
        validate_data("matching", "spot_request_assigned", 1, assigned)
    assert "phone" in refused.value.messages["volunteer"]
