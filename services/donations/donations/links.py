"""Signed self-service links: whoever holds the link from the supporter's e-mail may manage that
one pledge, and nothing else. No account and no password, as on the public site."""

from __future__ import annotations

from urllib.parse import urlencode

from servicekit.links import LinkInvalid, SignedLinks

__all__ = ["LinkInvalid", "PledgeLinks", "ReceiptLinks"]

SALT = "jii.donations.pledge-self-service"


class PledgeLinks:
    def __init__(self, secret: str, base_url: str, max_age_days: int) -> None:
        self._serializer = SignedLinks(secret, SALT, max_age_days * 86400,
                                       setting="PLEDGE_LINK_SECRET")
        self._base_url = base_url

    def token(self, pledge_id: str) -> str:
        return self._serializer.dumps({"pledge": pledge_id})

    def url(self, pledge_id: str) -> str:
        return f"{self._base_url}?{urlencode({'token': self.token(pledge_id)})}"

    def pledge_of(self, token: str) -> str:
        payload = self._serializer.loads(
            token, expired="this link has expired; use the one in your latest e-mail")
        if not isinstance(payload.get("pledge"), str):
            raise LinkInvalid()
        return payload["pledge"]


RECEIPT_SALT = "jii.donations.tax-receipt"


class ReceiptLinks:
    """Signed links to a donor's tax receipt: a gift's (by payment) or a tax year's annual one
    (by supporter and year). The link names what the receipt is for, not its number, so it
    opens the replacement once a receipt is corrected."""

    def __init__(self, secret: str, base_url: str, max_age_days: int) -> None:
        self._serializer = SignedLinks(secret, RECEIPT_SALT, max_age_days * 86400,
                                       setting="the receipt link secret")
        self._base_url = base_url.rstrip("/")

    def gift_url(self, payment_id: str) -> str:
        return f"{self._base_url}/{self._serializer.dumps({'gift': payment_id})}"

    def annual_url(self, supporter_id: str, year: int) -> str:
        token = self._serializer.dumps({"annual": supporter_id, "year": year})
        return f"{self._base_url}/{token}"

    def target_of(self, token: str) -> tuple[str, str, int | None]:
        """("gift", payment id, None) or ("annual", supporter id, year)."""
        payload = self._serializer.loads(token, expired="this link has expired; ask us for "
                                                        "your receipt")
        if isinstance(payload.get("gift"), str):
            return "gift", payload["gift"], None
        if isinstance(payload.get("annual"), str) and isinstance(payload.get("year"), int):
            return "annual", payload["annual"], payload["year"]
        raise LinkInvalid()
