"""Signed self-service links: whoever holds the link from the supporter's e-mail may manage that
one pledge, and nothing else. No account and no password, as on the public site."""

from __future__ import annotations

from urllib.parse import urlencode

from api.donations import PLEDGE_PAGE
from api.receipts import RECEIPT_BY_LINK
from servicekit.links import LinkInvalid, SignedLinks

__all__ = ["LinkInvalid", "PledgeLinks", "ReceiptLinks", "site_url"]

DEFAULT_SITE_URL = "http://127.0.0.1:8000"

SALT = "jii.donations.pledge-self-service"


def site_url(config: dict) -> str:
    """Where the links this service mails lead: the gateway's public address; the paths are
    the declared routes' (`api`), never spelt here."""
    return str(config.get("PUBLIC_SITE_URL") or DEFAULT_SITE_URL)


class PledgeLinks:
    """Links to the site's pledge page (`site_url` + `api.donations.PLEDGE_PAGE`)."""

    def __init__(self, secret: str, site_url: str, max_age_days: int) -> None:
        self._serializer = SignedLinks(secret, SALT, max_age_days * 86400,
                                       setting="PLEDGE_LINK_SECRET")
        self._base_url = site_url.rstrip("/") + PLEDGE_PAGE

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
    opens the replacement once a receipt is corrected. They lead to the gateway's
    `api.receipts.RECEIPT_BY_LINK` at `site_url`."""

    def __init__(self, secret: str, site_url: str, max_age_days: int) -> None:
        self._serializer = SignedLinks(secret, RECEIPT_SALT, max_age_days * 86400,
                                       setting="the receipt link secret")
        self._site_url = site_url.rstrip("/")

    def gift_url(self, payment_id: str) -> str:
        return self._url(self._serializer.dumps({"gift": payment_id}))

    def annual_url(self, supporter_id: str, year: int) -> str:
        return self._url(self._serializer.dumps({"annual": supporter_id, "year": year}))

    def _url(self, token: str) -> str:
        return self._site_url + RECEIPT_BY_LINK.url(token=token)

    def target_of(self, token: str) -> tuple[str, str, int | None]:
        """("gift", payment id, None) or ("annual", supporter id, year)."""
        payload = self._serializer.loads(token, expired="this link has expired; ask us for "
                                                        "your receipt")
        if isinstance(payload.get("gift"), str):
            return "gift", payload["gift"], None
        if isinstance(payload.get("annual"), str) and isinstance(payload.get("year"), int):
            return "annual", payload["annual"], payload["year"]
        raise LinkInvalid()
