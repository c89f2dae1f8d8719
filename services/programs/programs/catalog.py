"""The four programs JII runs, described in every supported language.

The texts follow the voice of JII's own pages: plain, warm, about people rather than services.
A language we do not have yet falls back to English, then Japanese, and the answer says which
language was served so the site can label it.
"""

from __future__ import annotations

from typing import Any

from contracts.locales import LOCALES as LANGUAGES
from contracts.locales import primary_language

FALLBACK = ("en", "ja")

# id, then per language: name, tagline, description
PROGRAMS: list[dict[str, Any]] = [
    {
        "id": "otonari-san-family-friend",
        "text": {
            "ja": {
                "name": "おとなりさん ファミリーフレンド・プログラム",
                "tagline": "6か月間、日本の「おとなりさん」と日常を分かち合う",
                "description": (
                    "日本で暮らす外国人の家族と地域の日本人パートナーをつなぎ、6か月間、"
                    "食事や子育ての相談、買い物、季節の行事などを一緒に楽しみます。"
                    "想像の中の「外国人」ではなく、すぐとなりの「おとなりさん」として"
                    "出会い直すためのプログラムです。"
                ),
            },
            "en": {
                "name": "Otonari-san Family Friend Program",
                "tagline": "Six months of everyday life, shared with a neighbour",
                "description": (
                    "We connect a foreign resident, often a family with small children, with "
                    "a Japanese partner nearby. For six months they gently share their daily "
                    "lives: meals, child-rearing advice, shopping, seasonal events. Little by "
                    "little you stop seeing a 'foreigner' you imagined and meet your very own "
                    "Otonari-san, the neighbour right next door."
                ),
            },
            "ne": {
                "name": "ओतोनारी-सान पारिवारिक मित्र कार्यक्रम",
                "tagline": "छ महिनासम्म छिमेकीसँग दैनिक जीवन बाँड्ने अवसर",
                "description": (
                    "जापानमा बस्ने विदेशी परिवारलाई नजिकैका जापानी साझेदारसँग जोडिन्छ। छ "
                    "महिनासम्म सँगै खाना खाने, बालबालिका हुर्काउने सल्लाह, किनमेल र मौसमी "
                    "चाडपर्वहरूमा रमाउने गरिन्छ। बिस्तारै तपाईंले कल्पना गरेको 'विदेशी' होइन, "
                    "आफ्नै छिमेकी 'ओतोनारी-सान' भेट्नुहुनेछ।"
                ),
            },
        },
    },
    {
        "id": "spot-otonari-san",
        "text": {
            "ja": {
                "name": "スポットおとなりさん",
                "tagline": "役所の手続きや通院に、ボランティアが一度だけ付き添います",
                "description": (
                    "区役所での手続き、保育園の入園申し込み、病院の受診、言葉のサポートなど、"
                    "暮らしの中で困ったときに、ボランティアが一回限りで付き添います。"
                ),
            },
            "en": {
                "name": "Spot Otonari-san",
                "tagline": "A volunteer by your side, once, when you need it",
                "description": (
                    "One-time help from a volunteer when daily life gets difficult: going "
                    "with you to city-hall procedures, nursery-school enrolment or a hospital "
                    "visit, or helping with the language."
                ),
            },
            "ne": {
                "name": "स्पट ओतोनारी-सान",
                "tagline": "आवश्यक पर्दा एक पटक स्वयंसेवक तपाईंसँगै",
                "description": (
                    "दैनिक जीवनमा अप्ठ्यारो पर्दा स्वयंसेवकले एक पटक सहयोग गर्छन्: नगरपालिका "
                    "कार्यालयका प्रक्रिया, नर्सरी स्कुल भर्ना, अस्पताल जाँदा साथ दिने, वा भाषामा "
                    "सहयोग गर्ने।"
                ),
            },
        },
    },
    {
        "id": "hanamaru-class",
        "text": {
            "ja": {
                "name": "はなまる教室",
                "tagline": "海外にルーツをもつ子どもたちの、日本語の読み書き",
                "description": (
                    "家庭で日本語の読み書きを教えることが難しい外国人家庭の子どもたちが、"
                    "ボランティアと一緒に楽しく日本語の読み書きを学びます。学校生活への"
                    "自信につながるよう応援しています。"
                ),
            },
            "en": {
                "name": "Hanamaru Class",
                "tagline": "Reading and writing Japanese, for children with roots abroad",
                "description": (
                    "Volunteers help children with roots abroad enjoy learning to read and "
                    "write Japanese. Many families cannot teach Japanese literacy at home; we "
                    "help these children build their confidence for school life in Japan."
                ),
            },
            "ne": {
                "name": "हानामारु कक्षा",
                "tagline": "विदेशी जरा भएका बालबालिकाका लागि जापानी पढाइ र लेखाइ",
                "description": (
                    "स्वयंसेवकहरूले विदेशी जरा भएका बालबालिकालाई रमाइलो तरिकाले जापानी पढ्न र "
                    "लेख्न सिकाउँछन्। धेरै परिवारले घरमा जापानी अक्षर सिकाउन सक्दैनन्; हामी यी "
                    "बालबालिकालाई जापानको विद्यालय जीवनमा आत्मविश्वास बढाउन सहयोग गर्छौं।"
                ),
            },
        },
    },
    {
        "id": "daily-life-consultation",
        "text": {
            "ja": {
                "name": "くらしの相談サービス",
                "tagline": "専門家と一緒に、暮らしの困りごとを解決します",
                "description": (
                    "在留資格、仕事、住まい、子育て・教育、医療、税金・年金など、外国人住民が"
                    "直面する困りごとを、弁護士や社会福祉士、行政書士などの専門家と協力して"
                    "一緒に解決します。"
                ),
            },
            "en": {
                "name": "Daily Life Consultation Service",
                "tagline": "Solving everyday challenges together, with experts",
                "description": (
                    "Residence status, work, housing, child-rearing and school, health, tax "
                    "and pension: we work with lawyers, social workers and administrative "
                    "scriveners to take on the problems foreign residents face, as cases, "
                    "until they are solved."
                ),
            },
            "ne": {
                "name": "दैनिक जीवन परामर्श सेवा",
                "tagline": "विशेषज्ञहरूसँग मिलेर दैनिक समस्याको समाधान",
                "description": (
                    "बसोबास अनुमति, काम, आवास, बालबालिकाको हेरचाह र शिक्षा, स्वास्थ्य, कर र "
                    "पेन्सन: वकिल, सामाजिक कार्यकर्ता र प्रशासनिक लेखकहरूसँग मिलेर विदेशी "
                    "बासिन्दाका समस्या समाधान नहुँदासम्म साथ दिन्छौं।"
                ),
            },
        },
    },
]


def language_served(requested: str | None) -> str:
    """The catalog language for a BCP 47 tag ('ne-NP' → 'ne'), falling back to en, then ja."""
    if requested:
        language = primary_language(requested)
        if language in LANGUAGES:
            return language
    for language in FALLBACK:
        if language in LANGUAGES:
            return language
    return LANGUAGES[0]


def catalog(requested: str | None) -> dict[str, Any]:
    lang = language_served(requested)
    return {
        "lang": lang,
        "programs": [
            {"id": program["id"], **program["text"][lang]} for program in PROGRAMS
        ],
    }
