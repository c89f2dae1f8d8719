"""The pages a guardian sees after clicking the withdrawal link in a Hanamaru enrolment e-mail.

The e-mails (confirmed, waitlisted, promoted) carry the guardian's signed link. A browser GETs
it; that must change nothing, since link scanners fetch every URL in a message, so the page
names the child and the class, says what cancelling does, and offers a button whose form POSTs
to the same URL. The wording follows the e-mails' own (notifications' `_layout/withdraw.*` and
`class_enrollment_*` templates): お申し込みを取り消す, "cancel the sign-up", भर्ना रद्द.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from werkzeug.wrappers import Response

from gateway import pages
from gateway.errors import Problem


@dataclass(frozen=True)
class Texts:
    """Plain text; `{child}` and `{cls}` are filled in (then escaped) when a page is made."""

    confirm_title: str
    waitlisted_title: str
    confirmed: str  # what cancelling a seat does
    waitlisted: str  # what cancelling a place on the waiting list does
    nothing_yet: str
    button: str
    done_title: str
    done: tuple[str, ...]
    already_title: str
    already: tuple[str, ...]
    invalid: pages.Notice


TEXTS = {
    "ja": Texts(
        confirm_title="「{cls}」への {child} さんのお申し込みを取り消しますか？",
        waitlisted_title="「{cls}」の {child} さんのキャンセル待ちを取り消しますか？",
        confirmed="{child} さんは「{cls}」への参加が確定しています。下のボタンを押すと、"
                  "お申し込みを取り消します。お席はお待ちいただいている次のご家族にお譲りします。",
        waitlisted="{child} さんは現在「{cls}」のキャンセル待ちです。下のボタンを押すと、"
                   "お申し込みを取り消し、{child} さんはキャンセル待ちから外れます。",
        nothing_yet="このページを開いただけでは、お申し込みは取り消されません。",
        button="お申し込みを取り消す",
        done_title="お申し込みを取り消しました",
        done=(
            "「{cls}」への {child} さんのお申し込みを取り消しました。お知らせいただき、"
            "ありがとうございました。",
            "改めてご参加をご希望の場合は、もう一度お申し込みください。その時点で定員に"
            "達している場合は、キャンセル待ちとなります。",
        ),
        already_title="このお申し込みはすでに取り消されています",
        already=(
            "「{cls}」への {child} さんのお申し込みは、すでに取り消されています。お手続きの"
            "必要はございません。",
            "お心当たりがない場合や、改めてご参加をご希望の場合は、info@j-ii.org までご連絡"
            "ください。",
        ),
        invalid=pages.Notice("このリンクは無効です", (
            "お申し込み取り消しのリンクが途中で切れているか、変更されているか、有効期限が"
            "切れている可能性がございます。",
            "お手数ですが、メールからもう一度リンクを開いていただくか、info@j-ii.org までご連絡"
            "ください。こちらでお手続きいたします。",
        )),
    ),
    "en": Texts(
        confirm_title="Cancel {child}'s place in {cls}?",
        waitlisted_title="Cancel {child}'s place on the waiting list for {cls}?",
        confirmed="{child} has a place in {cls}. If {child} will not take part after all, press "
                  "the button below to cancel the sign-up, and the place goes to the next "
                  "family waiting.",
        waitlisted="{child} is on the waiting list for {cls}. If you no longer need the place, "
                   "press the button below to cancel the sign-up, and {child} leaves the "
                   "waiting list.",
        nothing_yet="Opening this page alone changes nothing.",
        button="Cancel the sign-up",
        done_title="The sign-up has been cancelled",
        done=(
            "{child}'s sign-up for {cls} is cancelled. Thank you for letting us know.",
            "If you change your mind, you are welcome to sign {child} up again; if the class "
            "is full by then, {child} will join the waiting list.",
        ),
        already_title="This sign-up is already cancelled",
        already=(
            "{child}'s sign-up for {cls} has already been cancelled, so there is nothing more "
            "to do.",
            "If you did not expect this, or would like {child} to take part after all, please "
            "write to info@j-ii.org.",
        ),
        invalid=pages.Notice("This link is not valid", (
            "The link to cancel the sign-up may have been cut short or changed, or it may have "
            "expired.",
            "Please open it again from the e-mail, or write to info@j-ii.org and we will help "
            "you.",
        )),
    ),
    "ne": Texts(
        confirm_title="{cls} मा {child} को स्थान रद्द गर्न चाहनुहुन्छ?",
        waitlisted_title="{cls} को प्रतीक्षा सूचीमा {child} को स्थान रद्द गर्न चाहनुहुन्छ?",
        confirmed="{cls} मा {child} को स्थान पक्का भएको छ। {child} सहभागी हुन नसक्ने भएमा, "
                  "तलको बटन थिचेर भर्ना रद्द गर्न सक्नुहुन्छ; त्यो स्थान पर्खिरहेको अर्को "
                  "परिवारले पाउनेछ।",
        waitlisted="{child} को नाम अहिले {cls} को प्रतीक्षा सूचीमा छ। अब स्थान आवश्यक "
                   "नभएमा, तलको बटन थिचेर भर्ना रद्द गर्न सक्नुहुन्छ; {child} को नाम "
                   "प्रतीक्षा सूचीबाट हटाइनेछ।",
        nothing_yet="यो पृष्ठ खोल्दैमा भर्ना रद्द हुँदैन।",
        button="भर्ना रद्द गर्नुहोस्",
        done_title="भर्ना रद्द गरिएको छ",
        done=(
            "{cls} मा {child} को भर्ना रद्द गरिएको छ। जानकारी दिनुभएकोमा धन्यवाद।",
            "विचार बदलिएमा {child} लाई फेरि दर्ता गर्न सक्नुहुन्छ; त्यतिबेलासम्म कक्षा "
            "भरिइसकेको भए {child} को नाम प्रतीक्षा सूचीमा राखिनेछ।",
        ),
        already_title="यो भर्ना पहिले नै रद्द भइसकेको छ",
        already=(
            "{cls} मा {child} को भर्ना पहिले नै रद्द भइसकेको छ, त्यसैले अब केही "
            "गर्नुपर्दैन।",
            "यो अपेक्षित नभएमा वा {child} लाई फेरि सहभागी गराउन चाहनुभएमा कृपया "
            "info@j-ii.org मा लेख्नुहोला।",
        ),
        invalid=pages.Notice("यो लिङ्क मान्य छैन", (
            "भर्ना रद्द गर्ने लिङ्क अधुरो वा परिवर्तन भएको, वा यसको म्याद सकिएको हुन सक्छ।",
            "कृपया इमेलबाट लिङ्क फेरि खोल्नुहोस्, वा info@j-ii.org मा लेख्नुहोस्; हामी "
            "तपाईंलाई सहयोग गर्नेछौं।",
        )),
    ),
}


def link_page(token: str, view: Mapping[str, str], lang: str) -> Response:
    """What the link shows (`view` is the GET's answer): a confirmation, or that it is done.

    `token` must already be checked to be URL-safe. The form posts no field: the token in the
    URL is the whole request.
    """
    texts = TEXTS[lang]
    if view["status"] == "withdrawn":
        return _page(lang, texts.already_title, texts.already, view)
    waitlisted = view["status"] == "waitlisted"
    title = texts.waitlisted_title if waitlisted else texts.confirm_title
    what = texts.waitlisted if waitlisted else texts.confirmed
    form = pages.post_form(token, lang, texts.button)
    return _page(lang, title, (what, texts.nothing_yet), view, form)


def done_page(view: Mapping[str, str], lang: str) -> Response:
    texts = TEXTS[lang]
    return _page(lang, texts.done_title, texts.done, view)


def failure_page(problem: Problem, lang: str) -> Response:
    """The HTML side of a problem: a link refused (not signed by us, expired, no such
    enrolment), or a service that is down."""
    return pages.failure_page(problem, lang, TEXTS[lang].invalid)


def _page(lang: str, title: str, texts: tuple[str, ...], view: Mapping[str, str],
          form: str = "") -> Response:
    # The names are filled into the plain text, which `pages` escapes as a whole.
    names = {"child": view["child_first_name"], "cls": view["class_title"]}
    body = pages.paragraphs(*(text.format(**names) for text in texts))
    return pages.page(lang, title.format(**names), body + ("\n" + form if form else ""))
