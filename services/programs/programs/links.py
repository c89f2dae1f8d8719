"""Signed self-service links: whoever holds the link from the guardian's e-mail may see and
withdraw that one enrolment, and nothing else. No account and no password, as on the public
site; signed (HMAC) with itsdangerous like donations' pledge links and matching's offers.

A link points at the gateway's route `api.programs.WITHDRAWAL_LINK` (the gateway owns the
path); the site renders the page from what GET answers there and POSTs to the same URL to
withdraw.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from api.programs import withdrawal_link
from servicekit.links import LinkInvalid, SignedLinks

__all__ = ["EnrollmentLinks", "LinkInvalid", "WithdrawUrl", "no_link"]

SALT = "jii.programs.enrollment-withdrawal"
# A class runs for a school term or two; a year covers the longest without leaving a link that
# works forever in an old mailbox.
MAX_AGE_DAYS = 365

# Makes the withdrawal link of an enrolment, or None when links are not configured.
WithdrawUrl = Callable[[str], str | None]


def no_link(_enrollment_id: str) -> None:
    """What the domain gets when no link secret is configured: events go out without a link."""
    return None


class EnrollmentLinks:
    def __init__(self, secret: str, base_url: str,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._signed = SignedLinks(secret, SALT, MAX_AGE_DAYS * 86400, now,
                                   setting="ENROLLMENT_LINK_SECRET")
        # Checked at start: a link the contract refuses would fail every sign-up instead.
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"PUBLIC_SITE_URL must be an http(s) address, not {base_url!r}")
        self._base_url = base_url.rstrip("/")

    def token(self, enrollment_id: str) -> str:
        return self._signed.dumps({"enrollment": enrollment_id})

    def withdraw_url(self, enrollment_id: str) -> str:
        return self._base_url + withdrawal_link(self.token(enrollment_id))

    def enrollment_of(self, token: str) -> str:
        """The enrolment id of a genuine, unexpired link; LinkInvalid otherwise."""
        payload = self._signed.loads(
            token, expired="this link has expired; ask the JII office for help")
        if not isinstance(payload.get("enrollment"), str):
            raise LinkInvalid()
        return payload["enrollment"]
