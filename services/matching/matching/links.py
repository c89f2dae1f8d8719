"""Signed accept/decline links for pairing offers (itsdangerous), expiring with the offer.

The signature's timestamp is taken from the service clock, so a test moving the clock past
three days sees the link expire exactly as a family would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from api.matching import PAIRING_RESPONSE_PAGE
from contracts.locales import primary_language
from servicekit.links import LinkInvalid, SignedLinks

__all__ = ["LinkInvalid", "make_token", "read_token", "response_urls"]

SALT = "jii.matching.pairing-response"
OFFER_DAYS = 3


def _signed(secret: str, now: Callable[[], datetime]) -> SignedLinks:
    return SignedLinks(secret, SALT, OFFER_DAYS * 86400, now, setting="PAIRING_LINK_SECRET")


def make_token(secret: str, now: Callable[[], datetime], pairing_id: str, side: str) -> str:
    return _signed(secret, now).dumps({"p": pairing_id, "s": side})


def read_token(secret: str, now: Callable[[], datetime], token: str) -> tuple[str, str]:
    """(pairing id, side) of a genuine, unexpired link; LinkInvalid (maybe `expired`) else."""
    data = _signed(secret, now).loads(token, expired="this link has expired")
    if data.get("s") not in ("resident", "partner"):
        raise LinkInvalid()
    return str(data["p"]), data["s"]


def response_urls(base_url: str, token: str, locale: str | None = None) -> dict[str, str]:
    """The offer's links; `locale` opens the page in the participant's language."""
    page = base_url.rstrip("/") + PAIRING_RESPONSE_PAGE
    lang = f"&lang={primary_language(locale)}" if locale else ""
    return {"accept_url": f"{page}?token={token}&answer=accept{lang}",
            "decline_url": f"{page}?token={token}&answer=decline{lang}"}
