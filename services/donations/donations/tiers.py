"""The public donation tiers and the bounds of a free amount.

The tier texts follow the organisation's own donation page: what one gift makes possible, said
plainly, in every language the site serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.donations import DESIGNATIONS, TIER_AMOUNTS

__all__ = ["DESIGNATIONS", "TIERS", "Tier", "bank_account", "catalogue", "tier"]


@dataclass(frozen=True)
class Tier:
    id: str
    amount: int
    impact: dict[str, str]


TIERS: tuple[Tier, ...] = (
    Tier("class", TIER_AMOUNTS["class"], {
        "ja": "1万円で、外国にルーツを持つ子どもたちのための地域の学習支援教室を1回開くことが"
              "できます。",
        "en": "¥10,000 can hold one local learning support class for children with roots "
              "abroad.",
        "ne": "¥१०,००० ले विदेशी जरा भएका बालबालिकाका लागि एउटा स्थानीय सिकाइ सहयोग कक्षा "
              "सञ्चालन गर्न सकिन्छ।",
    }),
    Tier("connect", TIER_AMOUNTS["connect"], {
        "ja": "3万円で、10人の外国人住民が日本の人々とつながる機会をつくることができます。",
        "en": "¥30,000 gives 10 foreign residents a chance to connect with Japanese people.",
        "ne": "¥३०,००० ले १० जना विदेशी बासिन्दालाई जापानी मानिसहरूसँग जोडिने अवसर दिन्छ।",
    }),
    Tier("community", TIER_AMOUNTS["community"], {
        "ja": "10万円で、地域で多文化共生を学ぶコミュニティセッションを開くことができます。",
        "en": "¥100,000 funds a community session on cultural synergy, where neighbours learn "
              "to live together.",
        "ne": "¥१,००,००० ले समुदायमा सांस्कृतिक सहअस्तित्वबारे सिक्ने एउटा सामुदायिक सत्र "
              "सञ्चालन गर्न सकिन्छ।",
    }),
)

DESIGNATION_NAMES: dict[str, dict[str, str]] = {
    "general": {"ja": "活動全般", "en": "Where it is needed most",
                "ne": "सबैभन्दा आवश्यक ठाउँमा"},
    "family_friend": {"ja": "おとなりさんファミリーフレンド", "en": "Otonari-san Family Friend",
                      "ne": "ओतोनारी-सान फ्यामिली फ्रेन्ड"},
    "spot_otonari": {"ja": "スポットおとなりさん", "en": "Spot Otonari-san",
                     "ne": "स्पट ओतोनारी-सान"},
    "hanamaru_class": {"ja": "はなまる教室", "en": "Hanamaru Class", "ne": "हानामारु कक्षा"},
    "life_consultation": {"ja": "生活相談サービス", "en": "Daily Life Consultation Service",
                          "ne": "दैनिक जीवन परामर्श सेवा"},
}


def tier(tier_id: str) -> Tier | None:
    return next((t for t in TIERS if t.id == tier_id), None)


# The account donors transfer to, as the organisation's settings give it (config key -> field).
# Names come in Japanese and in Latin letters; the holder also as the bank prints it, in kana,
# which is what a donor types at an ATM or in net banking.
BANK_SETTINGS = {
    "bank": "BANK_NAME", "bank_en": "BANK_NAME_EN", "bank_code": "BANK_CODE",
    "branch": "BANK_BRANCH", "branch_en": "BANK_BRANCH_EN", "branch_code": "BANK_BRANCH_CODE",
    "type": "BANK_ACCOUNT_TYPE", "number": "BANK_ACCOUNT_NUMBER",
    "holder": "BANK_ACCOUNT_HOLDER", "holder_kana": "BANK_ACCOUNT_HOLDER_KANA",
}
ACCOUNT_TYPES = ("ordinary", "current", "savings")


def bank_account(config: dict) -> dict[str, str] | None:
    """The transfer account from the settings; None while no account number is set, so the
    site shows no half-filled account."""
    account = {field: str(config.get(key) or "").strip() for field, key in BANK_SETTINGS.items()}
    if not account["number"]:
        return None
    if account["type"] not in ACCOUNT_TYPES:
        account["type"] = "ordinary"
    return account


def catalogue(min_yen: int, max_yen: int, bank: dict[str, str] | None = None) -> dict:
    """What the public site shows: tiers, the free-amount bounds, the designations and the
    bank-transfer account."""
    return {
        "bank_account": bank,
        "currency": "jpy",
        "tiers": [{"id": t.id, "amount": t.amount, "impact": dict(t.impact)} for t in TIERS],
        "free_amount": {"min": min_yen, "max": max_yen},
        "designations": [{"id": d, "name": dict(DESIGNATION_NAMES[d])} for d in DESIGNATIONS],
    }
