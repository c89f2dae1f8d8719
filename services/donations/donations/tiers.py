"""The public donation tiers and the bounds of a free amount.

The tier texts follow the organisation's own donation page: what one gift makes possible, said
plainly, in every language the site serves.
"""

from __future__ import annotations

from dataclasses import dataclass

DESIGNATIONS = ("general", "family_friend", "spot_otonari", "hanamaru_class",
                "life_consultation")


@dataclass(frozen=True)
class Tier:
    id: str
    amount: int
    impact: dict[str, str]


TIERS: tuple[Tier, ...] = (
    Tier("class", 10_000, {
        "ja": "1万円で、外国にルーツを持つ子どもたちのための地域の学習支援教室を1回開くことが"
              "できます。",
        "en": "¥10,000 can hold one local learning support class for children with roots "
              "abroad.",
        "ne": "¥१०,००० ले विदेशी जरा भएका बालबालिकाका लागि एउटा स्थानीय सिकाइ सहयोग कक्षा "
              "सञ्चालन गर्न सकिन्छ।",
    }),
    Tier("connect", 30_000, {
        "ja": "3万円で、10人の外国人住民が日本の人々とつながる機会をつくることができます。",
        "en": "¥30,000 gives 10 foreign residents a chance to connect with Japanese people.",
        "ne": "¥३०,००० ले १० जना विदेशी बासिन्दालाई जापानी मानिसहरूसँग जोडिने अवसर दिन्छ।",
    }),
    Tier("community", 100_000, {
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


def catalogue(min_yen: int, max_yen: int) -> dict:
    """What the public site shows: tiers, the free-amount bounds and the designations."""
    return {
        "currency": "jpy",
        "tiers": [{"id": t.id, "amount": t.amount, "impact": dict(t.impact)} for t in TIERS],
        "free_amount": {"min": min_yen, "max": max_yen},
        "designations": [{"id": d, "name": dict(DESIGNATION_NAMES[d])} for d in DESIGNATIONS],
    }
