"""The pages a person sees after clicking the unsubscribe link in the monthly impact update.

The same link is the mail's `List-Unsubscribe` target, which mail clients POST to (RFC 8058).
A browser GETs it; that must change nothing, since link scanners fetch every URL in a message,
so the page asks for a confirmation whose form POSTs back exactly what a mail client sends.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.wrappers import Response

from gateway import pages
from gateway.errors import Problem


@dataclass(frozen=True)
class Texts:
    confirm_title: str
    confirm: tuple[str, ...]
    button: str
    done_title: str
    done: tuple[str, ...]
    invalid_title: str
    invalid: tuple[str, ...]


# The words follow the impact update's own (notifications' impact_update templates): 月次報告,
# "monthly update", मासिक अपडेट.
TEXTS = {
    "ja": Texts(
        confirm_title="月次報告メールの配信停止",
        confirm=(
            "下のボタンを押すと、JII Partnersの皆さまに毎月お送りしている活動報告（月次報告）"
            "メールの配信を停止いたします。",
            "領収書など、ご寄付や活動に関するお知らせは、これまでどおりお送りいたします。",
            "このページを開いただけでは、配信は停止されません。",
        ),
        button="配信を停止する",
        done_title="配信を停止いたしました",
        done=(
            "今後、月次報告メールはお送りいたしません。これまでお読みいただき、誠にありがとう"
            "ございました。",
            "領収書など、ご寄付や活動に関するお知らせは、引き続きお送りいたします。",
        ),
        invalid_title="このリンクは無効です",
        invalid=(
            "配信停止のリンクが途中で切れているか、変更されている可能性がございます。",
            "お手数ですが、メールからもう一度リンクを開いていただくか、info@j-ii.org までご連絡"
            "ください。こちらで配信を停止いたします。",
        ),
    ),
    "en": Texts(
        confirm_title="Unsubscribe from the monthly impact update",
        confirm=(
            "Press the button below and we will stop sending you the monthly update on what "
            "the support of JII Partners made possible.",
            "Receipts and other messages about your donations and activities with JII will "
            "still be sent.",
            "Opening this page alone changes nothing.",
        ),
        button="Unsubscribe",
        done_title="You have been unsubscribed",
        done=(
            "You will no longer receive the monthly impact update. Thank you for reading it "
            "and for your support.",
            "Receipts and other messages about your donations and activities will still be "
            "sent.",
        ),
        invalid_title="This link is not valid",
        invalid=(
            "The unsubscribe link may have been cut short or changed.",
            "Please open it again from the e-mail, or write to info@j-ii.org and we will stop "
            "the monthly update for you.",
        ),
    ),
    "ne": Texts(
        confirm_title="मासिक अपडेटबाट सदस्यता रद्द गर्नुहोस्",
        confirm=(
            "तलको बटन थिच्नुभएमा JII Partner हरूलाई हरेक महिना पठाइने, तपाईंको सहयोगले सम्भव "
            "बनाएका कामबारेको मासिक अपडेट इमेल तपाईंलाई पठाउन बन्द गर्नेछौं।",
            "रसिद र तपाईंको दान तथा गतिविधिसम्बन्धी अन्य सन्देशहरू भने पहिलेजस्तै "
            "पठाइरहनेछौं।",
            "यो पृष्ठ खोल्दैमा सदस्यता रद्द हुँदैन।",
        ),
        button="सदस्यता रद्द गर्नुहोस्",
        done_title="तपाईंको सदस्यता रद्द गरिएको छ",
        done=(
            "अबदेखि तपाईंलाई मासिक अपडेट पठाइने छैन। पढिदिनुभएकोमा र तपाईंको सहयोगका लागि "
            "हार्दिक धन्यवाद।",
            "रसिद र तपाईंको दान तथा गतिविधिसम्बन्धी अन्य सन्देशहरू भने पठाइरहनेछौं।",
        ),
        invalid_title="यो लिङ्क मान्य छैन",
        invalid=(
            "सदस्यता रद्द गर्ने लिङ्क अधुरो वा परिवर्तन भएको हुन सक्छ।",
            "कृपया इमेलबाट लिङ्क फेरि खोल्नुहोस्, वा info@j-ii.org मा लेख्नुहोस्; हामी "
            "तपाईंका लागि मासिक अपडेट बन्द गरिदिनेछौं।",
        ),
    ),
}


def confirm_page(token: str, lang: str) -> Response:
    """Asks before unsubscribing; `token` must already be checked to be URL-safe.

    The form body is RFC 8058's `List-Unsubscribe=One-Click`, as a mail client would send.
    """
    texts = TEXTS[lang]
    form = pages.post_form(token, lang, texts.button, {"List-Unsubscribe": "One-Click"})
    return pages.page(lang, texts.confirm_title, pages.paragraphs(*texts.confirm) + "\n" + form)


def done_page(lang: str) -> Response:
    texts = TEXTS[lang]
    return pages.page(lang, texts.done_title, pages.paragraphs(*texts.done))


def failure_page(problem: Problem, lang: str) -> Response:
    """The HTML side of a problem: a link we did not sign (4xx), or a service that is down."""
    texts = TEXTS[lang]
    return pages.failure_page(problem, lang, pages.Notice(texts.invalid_title, texts.invalid))
