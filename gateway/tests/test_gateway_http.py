"""The gateway's HTTP behaviour: validation, problem documents, request ids, limits, routing."""

from __future__ import annotations

import json
import re
import uuid

import psycopg
import pytest
import requests
from gateway.errors import problem_for
from kombu.exceptions import OperationalError as KombuOperationalError
from psycopg_pool import PoolTimeout

PROBLEM_JSON = "application/problem+json"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

MISSING = object()
VALID = {"amount": 3000, "email": "hanako@example.org", "name": "Yamada Hanako",
         "locale": "ja", "payment_method": "pm_card_visa"}


def pledge(gateway: str, body, **kwargs) -> requests.Response:
    return requests.post(f"{gateway}/api/pledges", json=body, timeout=10, **kwargs)


def assert_problem(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance", "request_id"} <= body.keys()
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_valid_pledge_is_created_with_only_the_public_fields(gateway, donations, calls):
    response = pledge(gateway, {**VALID, "locale": "ja-jp"})

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"id": "7b0c6d1e-3f7a-4d5e-9a51-0c2f4e8b9d10",
                               "status": "pending", "client_secret": "pi_1_secret_2"}
    [(args, _)] = calls.of("create_pledge")
    assert args == ({**VALID, "locale": "ja-jp"},)  # as sent: the service loads it


def test_absent_client_secret_is_omitted(gateway, donations):
    response = pledge(gateway, {**VALID, "payment_method": "pm_no_3ds"})

    assert response.status_code == 201
    assert "client_secret" not in response.json()


def test_a_postal_address_and_donor_kind_for_a_tax_receipt_reach_the_service(
        gateway, donations, calls):
    address = {"postal_code": "150-0001", "prefecture": "東京都", "city": "渋谷区",
               "line1": "神宮前1-2-3", "line2": None}
    response = pledge(gateway, {**VALID, "donor_kind": "company", "postal_address": address})

    assert response.status_code == 201, response.text
    [(args, _)] = calls.of("create_pledge")
    assert args[0]["postal_address"] == address and args[0]["donor_kind"] == "company"


@pytest.mark.parametrize("change, field", [
    ({"postal_address": {"postal_code": "1-2", "prefecture": "東京都", "city": "渋谷区",
                         "line1": "1"}}, "postal_address.postal_code"),
    ({"postal_address": {"postal_code": "150-0001"}}, "postal_address.prefecture"),
    ({"donor_kind": "charity"}, "donor_kind"),
    ({"amount": -500}, "amount"),
    ({"amount": 0}, "amount"),
    ({"amount": 3000.5}, "amount"),
    ({"amount": 3000.0}, "amount"),
    ({"amount": "3000"}, "amount"),
    ({"amount": True}, "amount"),
    ({"amount": None}, "amount"),
    ({"email": MISSING}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"name": "   "}, "name"),
    ({"locale": "fr"}, "locale"),
    ({"locale": "ja_JP"}, "locale"),
    ({"locale": "ja-JP-x-private"}, "locale"),
    ({"payment_method": 42}, "payment_method"),
    ({"tier": "gold"}, "tier"),
])
def test_malformed_pledge_is_400_with_the_field_named(gateway, donations, calls, change, field):
    body = {key: value for key, value in {**VALID, **change}.items() if value is not MISSING}

    problem = assert_problem(pledge(gateway, body), 400)

    assert problem["type"] == "/problems/invalid-input"
    assert problem["instance"] == "/api/pledges"
    assert field in problem["errors"] and {f.split(".")[0] for f in problem["errors"]} == {
        field.split(".")[0]}
    assert all(isinstance(message, str) for message in problem["errors"][field])
    assert calls.of("create_pledge") == []


def test_every_invalid_field_is_reported_at_once(gateway, donations):
    problem = assert_problem(pledge(gateway, {"amount": -1, "locale": "xx", "extra": 1}), 400)

    assert set(problem["errors"]) == {"amount", "email", "name", "locale", "payment_method",
                                      "extra"}
    assert problem["errors"]["email"] == ["Missing data for required field."]
    assert problem["errors"]["extra"] == ["Unknown field."]


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"amount": NaN}', b"\xff\xfe{}"])
def test_body_that_is_not_json_is_400(gateway, donations, calls, raw):
    response = requests.post(f"{gateway}/api/pledges", data=raw, timeout=10,
                             headers={"Content-Type": "application/json"})

    assert assert_problem(response, 400)["type"] == "/problems/malformed-body"
    assert calls.of("create_pledge") == []


@pytest.mark.parametrize("path", ["/api/pledges", "/api/donations", "/api/staff/session"])
@pytest.mark.parametrize("depth", [40, 1000])
def test_deeply_nested_json_is_a_400_problem(gateway, donations, calls, path, depth):
    response = requests.post(f"{gateway}{path}", data=b"[" * depth + b"]" * depth, timeout=10,
                             headers={"Content-Type": "application/json"})

    problem = assert_problem(response, 400)
    assert problem["type"] == "/problems/malformed-body"
    assert "nested" in problem["detail"]
    assert calls.items == []


def test_json_that_is_not_an_object_is_400(gateway, donations):
    problem = assert_problem(pledge(gateway, [VALID]), 400)

    assert "_schema" in problem["errors"]


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", None,
])
def test_wrong_content_type_is_415(gateway, donations, calls, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = requests.post(f"{gateway}/api/pledges", data=json.dumps(VALID).encode(),
                             headers=headers, timeout=10)

    assert assert_problem(response, 415)["type"] == "about:blank"
    assert calls.of("create_pledge") == []


def test_json_with_charset_parameter_is_accepted(gateway, donations):
    response = requests.post(f"{gateway}/api/pledges", data=json.dumps(VALID).encode(),
                             headers={"Content-Type": "application/json; charset=utf-8"},
                             timeout=10)

    assert response.status_code == 201


def test_oversize_body_is_413(gateway, donations, calls):
    body = {**VALID, "name": "x" * 4000}  # MAX_BODY_BYTES is 2048 in these tests

    problem = assert_problem(pledge(gateway, body), 413)

    assert "2048" in problem["detail"]
    assert calls.of("create_pledge") == []


def test_oversize_chunked_body_is_413(gateway, donations, calls):
    def chunks():
        yield b'{"name": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = requests.post(f"{gateway}/api/pledges", data=chunks(), timeout=10,
                             headers={"Content-Type": "application/json"})

    assert_problem(response, 413)
    assert calls.of("create_pledge") == []


def test_small_chunked_body_is_read(gateway, donations):
    response = requests.post(f"{gateway}/api/pledges", data=iter([json.dumps(VALID).encode()]),
                             headers={"Content-Type": "application/json"}, timeout=10)

    assert response.status_code == 201


@pytest.mark.parametrize("payment_method, status, slug", [
    ("pm_declined", 402, "payment-declined"),
    ("pm_unusable", 422, "unprocessable"),
    ("pm_too_small", 400, "invalid-input"),
    ("pm_conflict", 409, "conflict"),
    ("pm_not_found", 404, "not-found"),
    ("pm_forbidden", 403, "forbidden"),
    ("pm_unavailable", 503, "service-unavailable"),
])
def test_service_errors_become_problems(gateway, donations, payment_method, status, slug):
    problem = assert_problem(pledge(gateway, {**VALID, "payment_method": payment_method}), status)

    assert problem["type"] == f"/problems/{slug}"


def test_payment_declined_carries_the_reason(gateway, donations):
    problem = assert_problem(pledge(gateway, {**VALID, "payment_method": "pm_declined"}), 402)

    assert problem["detail"] == "Your card was declined."
    assert problem["reason"] == "insufficient_funds"


def test_an_unusable_payment_method_is_422_naming_the_field(gateway, donations):
    problem = assert_problem(pledge(gateway, {**VALID, "payment_method": "pm_unusable"}), 422)
    assert problem["errors"] == {"payment_method": ["This payment method is not usable."]}


def test_invalid_input_from_the_service_names_the_field(gateway, donations):
    problem = assert_problem(pledge(gateway, {**VALID, "payment_method": "pm_too_small"}), 400)

    assert problem["errors"] == {"amount": ["The minimum monthly pledge is ¥500."]}


def test_unavailable_asks_to_retry_later(gateway, donations):
    response = pledge(gateway, {**VALID, "payment_method": "pm_unavailable"})

    assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize("outage", ["pm_db_unreachable", "pm_db_dropped", "pm_db_pool_timeout",
                                    "pm_broker_down"])
def test_a_dependency_outage_inside_a_service_is_a_503_never_a_500(gateway, donations, outage):
    response = pledge(gateway, {**VALID, "payment_method": outage})

    problem = assert_problem(response, 503)
    assert problem["type"] == "/problems/service-unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert "5432" not in response.text and "ECONNREFUSED" not in response.text


@pytest.mark.parametrize("exc", [
    KombuOperationalError("[Errno 111] ECONNREFUSED"),  # the gateway's own publish refused
    ConnectionResetError(104, "Connection reset by peer"),
    psycopg.OperationalError("server closed the connection unexpectedly"),  # its own database
    PoolTimeout("couldn't get a connection after 5.00 sec"),
])
def test_a_dependency_outage_in_the_gateway_itself_maps_to_503(exc):
    problem = problem_for(exc)

    assert problem is not None and problem.status == 503
    assert problem.headers["Retry-After"]


def test_unexpected_error_is_500_without_internals_and_logged_with_the_request_id(
        gateway, donations, caplog):
    response = pledge(gateway, {**VALID, "payment_method": "pm_boom"},
                      headers={"X-Request-ID": "boom-1"})

    problem = assert_problem(response, 500)
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert problem["request_id"] == "boom-1"
    logged = [record.msg for record in caplog.records if isinstance(record.msg, dict)]
    assert any(line.get("event") == "unhandled error" and line.get("correlation_id") == "boom-1"
               for line in logged)


def test_unknown_route_is_404_problem(gateway):
    response = requests.get(f"{gateway}/api/nothing-here", timeout=10)

    problem = assert_problem(response, 404)
    assert problem["type"] == "about:blank"
    assert problem["instance"] == "/api/nothing-here"
    assert UUID4.match(response.headers["X-Request-ID"])


def test_wrong_method_is_405_problem_with_allow(gateway):
    response = requests.get(f"{gateway}/api/pledges", timeout=10)

    assert_problem(response, 405)
    assert response.headers["Allow"] == "POST"


def test_request_id_is_echoed_and_reaches_the_service(gateway, donations, calls):
    response = pledge(gateway, VALID, headers={"X-Request-ID": "web-42.a_B"})

    assert response.headers["X-Request-ID"] == "web-42.a_B"
    [(_, correlation_id)] = calls.of("create_pledge")
    assert correlation_id == "web-42.a_B"


def test_request_id_is_generated_when_absent(gateway, donations, calls):
    response = pledge(gateway, VALID)

    generated = response.headers["X-Request-ID"]
    assert UUID4.match(generated)
    [(_, correlation_id)] = calls.of("create_pledge")
    assert correlation_id == generated


@pytest.mark.parametrize("offered", ["has space", "x" * 129, "semi;colon", "ünï"])
def test_unsafe_request_id_is_replaced(gateway, donations, calls, offered):
    response = pledge(gateway, VALID, headers={"X-Request-ID": offered.encode()})

    assert UUID4.match(response.headers["X-Request-ID"])
    [(_, correlation_id)] = calls.of("create_pledge")
    assert correlation_id == response.headers["X-Request-ID"]


def test_request_id_on_errors(gateway, donations):
    offered = str(uuid.uuid4())
    response = pledge(gateway, {**VALID, "amount": -1}, headers={"X-Request-ID": offered})

    assert response.headers["X-Request-ID"] == offered
    assert response.json()["request_id"] == offered


def test_healthz(gateway):
    response = requests.get(f"{gateway}/healthz", timeout=10)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert UUID4.match(response.headers["X-Request-ID"])
