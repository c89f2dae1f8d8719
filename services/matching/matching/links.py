"""Signed accept/decline links for pairing offers (itsdangerous), expiring with the offer.

The signature's timestamp is taken from the service clock, so a test moving the clock past
three days sees the link expire exactly as a family would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

SALT = "jii.matching.pairing-response"
OFFER_DAYS = 3


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def _serializer(secret: str, now: Callable[[], datetime]) -> URLSafeTimedSerializer:
    class ClockSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(now().timestamp())

    return URLSafeTimedSerializer(secret, salt=SALT, signer=ClockSigner)


def make_token(secret: str, now: Callable[[], datetime], pairing_id: str, side: str) -> str:
    return _serializer(secret, now).dumps({"p": pairing_id, "s": side})


def read_token(secret: str, now: Callable[[], datetime], token: str) -> tuple[str, str]:
    """(pairing id, side) of a genuine, unexpired link."""
    try:
        data = _serializer(secret, now).loads(token, max_age=OFFER_DAYS * 86400)
    except SignatureExpired:
        raise LinkExpired() from None
    except BadSignature:
        raise LinkInvalid() from None
    if not isinstance(data, dict) or data.get("s") not in ("resident", "partner"):
        raise LinkInvalid()
    return str(data["p"]), data["s"]


def response_urls(base_url: str, token: str, locale: str | None = None) -> dict[str, str]:
    """The offer's links; `locale` opens the page in the participant's language."""
    base = base_url.rstrip("/")
    lang = f"&lang={locale.split('-')[0]}" if locale else ""
    return {"accept_url": f"{base}/pairings/respond?token={token}&answer=accept{lang}",
            "decline_url": f"{base}/pairings/respond?token={token}&answer=decline{lang}"}
