"""Signed self-service links: whoever holds the link from the supporter's e-mail may manage that
one pledge, and nothing else. No account and no password, as on the public site."""

from __future__ import annotations

from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "jii.donations.pledge-self-service"


class LinkInvalid(Exception):
    """The token was tampered with, made with another secret, or is too old."""


class PledgeLinks:
    def __init__(self, secret: str, base_url: str, max_age_days: int) -> None:
        if len(secret) < 32:
            raise ValueError("PLEDGE_LINK_SECRET must be at least 32 characters")
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)
        self._base_url = base_url
        self._max_age = max_age_days * 86400

    def token(self, pledge_id: str) -> str:
        return self._serializer.dumps({"pledge": pledge_id})

    def url(self, pledge_id: str) -> str:
        return f"{self._base_url}?{urlencode({'token': self.token(pledge_id)})}"

    def pledge_of(self, token: str) -> str:
        try:
            payload = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired:
            raise LinkInvalid("this link has expired; use the one in your latest e-mail") from None
        except BadSignature:
            raise LinkInvalid("this link is not valid") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("pledge"), str):
            raise LinkInvalid("this link is not valid")
        return payload["pledge"]


RECEIPT_SALT = "jii.donations.tax-receipt"


class ReceiptLinks:
    """Signed links to a donor's tax receipt: a gift's (by payment) or a tax year's annual one
    (by supporter and year). The link names what the receipt is for, not its number, so it
    opens the replacement once a receipt is corrected."""

    def __init__(self, secret: str, base_url: str, max_age_days: int) -> None:
        if len(secret) < 32:
            raise ValueError("the receipt link secret must be at least 32 characters")
        self._serializer = URLSafeTimedSerializer(secret, salt=RECEIPT_SALT)
        self._base_url = base_url.rstrip("/")
        self._max_age = max_age_days * 86400

    def gift_url(self, payment_id: str) -> str:
        return f"{self._base_url}/{self._serializer.dumps({'gift': payment_id})}"

    def annual_url(self, supporter_id: str, year: int) -> str:
        token = self._serializer.dumps({"annual": supporter_id, "year": year})
        return f"{self._base_url}/{token}"

    def target_of(self, token: str) -> tuple[str, str, int | None]:
        """("gift", payment id, None) or ("annual", supporter id, year)."""
        try:
            payload = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired:
            raise LinkInvalid("this link has expired; ask us for your receipt") from None
        except BadSignature:
            raise LinkInvalid("this link is not valid") from None
        if isinstance(payload, dict) and isinstance(payload.get("gift"), str):
            return "gift", payload["gift"], None
        if (isinstance(payload, dict) and isinstance(payload.get("annual"), str)
                and isinstance(payload.get("year"), int)):
            return "annual", payload["annual"], payload["year"]
        raise LinkInvalid("this link is not valid")
