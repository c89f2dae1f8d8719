"""Rate limits and CORS, decided before any route runs."""

import pytest
from gateway.edge import RateLimited, TokenBucket


def test_a_client_gets_its_burst_then_waits_for_the_bucket_to_refill():
    bucket = TokenBucket(per_minute=60, burst=3)
    for _ in range(3):
        bucket.take("203.0.113.7", now=0.0)
    with pytest.raises(RateLimited) as limited:
        bucket.take("203.0.113.7", now=0.0)
    assert limited.value.retry_after == 1
    bucket.take("198.51.100.2", now=0.0)  # another client is not held back
    bucket.take("203.0.113.7", now=1.0)  # one token back after a second at 60 a minute


@pytest.fixture
def edge_gateway(container_factory, gateway_config, donations):
    import requests  # noqa: F401 - used by the tests through the fixture's URL
    from gateway.service import GatewayService

    config = {**gateway_config, "RATE_LIMIT_BURST": 2, "RATE_LIMIT_PER_MINUTE": 1,
              "CORS_ORIGINS": "https://www.j-ii.org"}
    container = container_factory(GatewayService, config)
    container.start()
    return "http://" + config["WEB_SERVER_ADDRESS"]


VALID_PLEDGE = {"amount": 3000, "email": "a@example.com", "name": "A", "locale": "en",
                "payment_method": "pm_card_visa"}


def test_public_posts_past_the_limit_get_429_with_retry_after(edge_gateway):
    import requests

    codes = [requests.post(f"{edge_gateway}/api/pledges", json=VALID_PLEDGE, timeout=10)
             for _ in range(3)]
    assert [c.status_code for c in codes[:2]] == [201, 201]
    assert codes[2].status_code == 429
    assert int(codes[2].headers["Retry-After"]) >= 1
    assert codes[2].headers["Content-Type"].startswith("application/problem+json")
    # reads are not limited
    assert requests.get(f"{edge_gateway}/healthz", timeout=10).status_code == 200


def test_an_allowed_origin_gets_cors_headers_and_its_preflight_answered(edge_gateway):
    import requests

    preflight = requests.options(f"{edge_gateway}/api/pledges", timeout=10, headers={
        "Origin": "https://www.j-ii.org", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    read = requests.get(f"{edge_gateway}/healthz", timeout=10,
                        headers={"Origin": "https://www.j-ii.org"})
    assert read.headers["Access-Control-Allow-Origin"] == "https://www.j-ii.org"
    other = requests.get(f"{edge_gateway}/healthz", timeout=10,
                         headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
