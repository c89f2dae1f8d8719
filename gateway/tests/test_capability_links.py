"""Links that carry a signed token: never logged in full, and not throttled like the public."""

from __future__ import annotations

import logging

import requests
from gateway.capabilities import CAPABILITY_PREFIXES, REDACTED, redact
from gateway.service import GatewayService
from gateway_fakes import FakeNotifications

TOKEN = "eyJlIjoiYW5uQGV4YW1wbGUub3JnIiwibCI6ImltcGFjdF91cGRhdGUifQ.c2lnbmF0dXJl-_x"


def test_tokens_are_cut_from_paths_and_token_parameters_but_nothing_else():
    line = (f'127.0.0.1 - - "POST /api/unsubscribe/{TOKEN}?lang=ja HTTP/1.1" 200 '
            f'"GET /api/class-enrollments/withdraw/{TOKEN} HTTP/1.1" '
            f'"GET /pledge?token={TOKEN}&x=1 HTTP/1.1" "GET /api/programs?lang=en HTTP/1.1"')
    redacted = redact(line)
    assert TOKEN not in redacted
    assert f"/api/unsubscribe/{REDACTED}?lang=ja" in redacted
    assert f"/api/class-enrollments/withdraw/{REDACTED} " in redacted
    assert f"?token={REDACTED}&x=1" in redacted
    assert "/api/programs?lang=en" in redacted


def test_every_route_with_a_token_in_its_path_is_a_known_capability_prefix():
    rules = []
    for klass in GatewayService.__mro__:
        for value in vars(klass).values():
            for entrypoint in getattr(value, "nameko_entrypoints", ()):
                rules.append(getattr(entrypoint, "url", ""))
    with_token = [rule for rule in rules if "<token>" in rule]
    assert with_token, "the routes could not be read"
    for rule in with_token:
        assert rule.startswith(CAPABILITY_PREFIXES), rule


def test_the_access_log_never_holds_an_unsubscribe_token(
        gateway, start_service, caplog):
    start_service(FakeNotifications)
    with caplog.at_level(logging.INFO, logger="nameko.web.server"):
        requests.get(f"{gateway}/api/unsubscribe/{TOKEN}", timeout=10)
        requests.post(f"{gateway}/api/unsubscribe/{TOKEN}", timeout=10,
                      data="List-Unsubscribe=One-Click",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    access = [record.getMessage() for record in caplog.records
              if record.name == "nameko.web.server"]
    assert any(f"/api/unsubscribe/{REDACTED}" in line for line in access), access
    assert not any(TOKEN in record.getMessage() for record in caplog.records)


def test_one_click_unsubscribes_from_a_mail_providers_server_are_not_rate_limited(
        container_factory, gateway_config, start_service):
    start_service(FakeNotifications)
    config = {**gateway_config, "RATE_LIMIT_BURST": 1, "RATE_LIMIT_PER_MINUTE": 1}
    container_factory(GatewayService, config).start()
    base = "http://" + config["WEB_SERVER_ADDRESS"]
    codes = {requests.post(f"{base}/api/unsubscribe/{TOKEN}", timeout=10,
                           data="List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"}
                           ).status_code for _ in range(5)}
    assert codes == {200}
