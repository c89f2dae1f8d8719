"""Signed links: whoever holds the link from an e-mail may do the one thing it names.

Every service signs its links the same way (itsdangerous, HMAC-SHA1 over a JSON payload, a
salt per kind of link so a token of one kind never opens another) and refuses them the same
way: one exception, `LinkInvalid`, whose `expired` tells an old link from a forged one, and
one rule for how long a secret must be.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)

MIN_SECRET_LENGTH = 32
# Far beyond any token we sign; the gateway refuses longer ones before they reach a service.
MAX_TOKEN_LENGTH = 1024
NOT_VALID = "this link is not valid"

Clock = Callable[[], datetime]


class LinkInvalid(Exception):
    """The token was altered, made with another secret or for another kind of link, or (with
    `expired`) is older than its kind allows."""

    def __init__(self, message: str = NOT_VALID, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SignedLinks:
    """Tokens of one kind of link: `salt` names the kind, `max_age` (seconds) how long a token
    opens anything (None: for ever, as an unsubscribe link in an old e-mail must).

    The signing time comes from `clock`, so a test can make a link that is already old.
    """

    def __init__(self, secret: str, salt: str, max_age: float | None, clock: Clock = _utc_now,
                 setting: str = "the link secret") -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"{setting} must be at least {MIN_SECRET_LENGTH} characters")
        self._max_age = max_age
        if max_age is None:
            self._serializer: URLSafeSerializer = URLSafeSerializer(secret, salt=salt)
            return

        class ClockSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock().timestamp())

        self._serializer = URLSafeTimedSerializer(secret, salt=salt, signer=ClockSigner)

    def dumps(self, payload: dict[str, Any]) -> str:
        return self._serializer.dumps(payload)

    def loads(self, token: str, expired: str = NOT_VALID) -> dict[str, Any]:
        """The payload of a genuine token; LinkInvalid otherwise, with `expired` as the message
        for a token past its age."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise LinkInvalid()
        try:
            if self._max_age is None:
                payload = self._serializer.loads(token)
            else:
                payload = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired:
            raise LinkInvalid(expired, expired=True) from None
        except BadSignature:
            raise LinkInvalid() from None
        if not isinstance(payload, dict):
            raise LinkInvalid()
        return payload
