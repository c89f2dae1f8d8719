"""Signed one-click unsubscribe links (RFC 8058) for bulk mail."""

from __future__ import annotations

from servicekit.links import LinkInvalid, SignedLinks

SALT = "jii.notifications.unsubscribe"


class UnsubscribeLinks:
    def __init__(self, secret: str, base_url: str) -> None:
        # No expiry: an unsubscribe link in an old e-mail must still work.
        self._signed = SignedLinks(secret, SALT, None, setting="UNSUBSCRIBE_SECRET")
        self.base_url = base_url  # the public gateway, e.g. https://api.j-ii.org

    def token(self, email: str, mailing_list: str) -> str:
        return self._signed.dumps({"e": email.strip().lower(), "l": mailing_list})

    def url(self, email: str, mailing_list: str) -> str:
        return f"{self.base_url.rstrip('/')}/api/unsubscribe/{self.token(email, mailing_list)}"

    def read(self, token: str) -> tuple[str, str]:
        """(address, list) of a token we made; raises LinkInvalid otherwise."""
        payload = self._signed.loads(token)
        if not {"e", "l"} <= payload.keys():
            raise LinkInvalid()
        return str(payload["e"]), str(payload["l"])
