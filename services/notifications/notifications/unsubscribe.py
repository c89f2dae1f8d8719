"""Signed one-click unsubscribe links (RFC 8058) for bulk mail."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "jii.notifications.unsubscribe"


class InvalidUnsubscribeToken(ValueError):
    """The token was not made by us (or was altered)."""


@dataclass(frozen=True)
class UnsubscribeLinks:
    secret: str
    base_url: str  # the public gateway, e.g. https://api.j-ii.org

    def _serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret, salt=SALT)

    def token(self, email: str, mailing_list: str) -> str:
        # No expiry: an unsubscribe link in an old e-mail must still work.
        return self._serializer().dumps({"e": email.strip().lower(), "l": mailing_list})

    def url(self, email: str, mailing_list: str) -> str:
        return f"{self.base_url.rstrip('/')}/api/unsubscribe/{self.token(email, mailing_list)}"

    def read(self, token: str) -> tuple[str, str]:
        """(address, list) of a token we made; raises InvalidUnsubscribeToken otherwise."""
        try:
            payload = self._serializer().loads(token)
        except BadSignature:
            raise InvalidUnsubscribeToken("the unsubscribe link is not valid") from None
        if not isinstance(payload, dict) or not {"e", "l"} <= payload.keys():
            raise InvalidUnsubscribeToken("the unsubscribe link is not valid")
        return str(payload["e"]), str(payload["l"])
