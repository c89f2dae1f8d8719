"""The few HTML pages the gateway shows to people rather than to API clients.

A link in an e-mail opened in a browser (the unsubscribe link, the guardian's withdrawal link)
needs a page, not JSON. Pages are plain string templates: every dynamic value goes through
`html.escape`, and the page's headers forbid scripts, framing and sending the URL (which carries
a signed token) on as a referrer. What every such page shares lives here: the layout, the choice
of language, the form that posts back to the link, the failure pages and their OpenAPI bits.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from string import Template
from typing import Any
from urllib.parse import quote

from contracts.locales import primary_language
from werkzeug.datastructures import LanguageAccept
from werkzeug.wrappers import Request, Response

from gateway.errors import Problem
from gateway.schemas import LANGUAGES

DEFAULT_LANGUAGE = "ja"
HTML = "text/html"
# What counts as "not a browser": API clients and mail clients get JSON unless they ask for
# HTML more than for JSON. JSON comes first so that `*/*` or no Accept at all means JSON.
_NEGOTIATED = ["application/json", "application/problem+json", HTML]

STYLE = """
body{margin:0;background:#f4f1ea;color:#222;font:16px/1.75 Helvetica,Arial,sans-serif}
html:lang(ja) body{font-family:'Hiragino Sans','Hiragino Kaku Gothic ProN',Meiryo,sans-serif}
html:lang(ne) body{font-family:'Noto Sans Devanagari',Mangal,'Nirmala UI',sans-serif}
main{max-width:560px;margin:24px auto 0;padding:28px 24px;background:#fff;border-radius:8px}
h1{margin:0 0 16px;font-size:22px;line-height:1.4;color:#1f5c4a}
p{margin:0 0 16px}
button{padding:10px 20px;border:0;border-radius:6px;background:#1f5c4a;color:#fff;
font:inherit;font-weight:bold;cursor:pointer}
footer{max-width:560px;margin:16px auto;padding:0 24px;color:#6b6b6b;font-size:13px}
footer a{color:#6b6b6b}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()

# No script can run (default-src 'none' and no script-src), the only style is the block above
# (allowed by its hash, so no inline style elsewhere), a form may only post back to this
# origin, and no other site may frame the page (clickjacking a one-button page is too easy).
SECURITY_HEADERS = {
    "Content-Security-Policy": f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The URL holds a signed token naming the person: never pass it on, never keep a copy.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}

_LAYOUT = Template("""<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>$title</title>
<style>$style</style>
</head>
<body>
<main>
<h1>$title</h1>
$body
</main>
<footer>$footer</footer>
</body>
</html>
""")

_CONTACT = '<a href="mailto:info@j-ii.org">info@j-ii.org</a>'
FOOTERS = {
    "ja": f"Japan Intercultural Intelligence（JII）東京<br>お問い合わせ：{_CONTACT}",
    "en": f"Japan Intercultural Intelligence (JII), Tokyo<br>Questions? Write to us at "
          f"{_CONTACT}.",
    "ne": f"Japan Intercultural Intelligence (JII), टोकियो<br>कुनै प्रश्न भएमा {_CONTACT} मा "
          f"सम्पर्क गर्नुहोला।",
}


def language_of(request: Request) -> str:
    """`?lang=` when it names a language we write, else the browser's preference, else ja.

    Tags are cut to their language subtag before matching: werkzeug prefers any exact match to
    a regional one, so `ne-NP, en;q=0.5` would otherwise give English to a Nepali reader.
    """
    asked = request.args.get("lang", "")
    chosen = _best([(asked, 1)]) if asked else None
    return chosen or _best(list(request.accept_languages)) or DEFAULT_LANGUAGE


def _best(preferences: list[tuple[str, float]]) -> str | None:
    primary = [(primary_language(tag), quality) for tag, quality in preferences]
    return LanguageAccept(primary).best_match(LANGUAGES)


def prefers_html(request: Request) -> bool:
    """Whether the client (a browser) wants HTML over JSON."""
    return request.accept_mimetypes.best_match(_NEGOTIATED) == HTML


def paragraphs(*texts: str) -> str:
    return "\n".join(f"<p>{escape(text)}</p>" for text in texts)


def page(lang: str, title: str, body: str, status: int = 200) -> Response:
    """A whole page around `body`, which must already be escaped HTML."""
    document = _LAYOUT.substitute(lang=escape(lang), title=escape(title), style=STYLE,
                                  body=body, footer=FOOTERS[lang])
    response = Response(document, status=status, mimetype=HTML)  # werkzeug adds charset=utf-8
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Language"] = lang
    response.vary.update(("Accept", "Accept-Language"))
    return response


def post_form(token: str, lang: str, button: str,
              fields: Mapping[str, str] | None = None) -> str:
    """A one-button form posting back to the link; `token` must already be checked URL-safe.

    The action is relative (`./<token>`), so it resolves to this very URL behind any proxy
    prefix, and carries the language so the answer comes in the one the person just read.
    """
    action = f"./{quote(token, safe='')}?lang={quote(lang, safe='')}"
    hidden = "".join(f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">\n'
                     for name, value in (fields or {}).items())
    return (f'<form method="post" action="{escape(action)}">\n{hidden}'
            f'<button type="submit">{escape(button)}</button>\n</form>')


@dataclass(frozen=True)
class Notice:
    """A page with nothing to do on it: a title and plain-text paragraphs."""

    title: str
    paragraphs: tuple[str, ...]


# Whatever the link, a service that did not answer only means waiting a little.
UNAVAILABLE = {
    "ja": Notice("ただいま処理できませんでした", (
        "申し訳ございません。一時的にお手続きを完了できませんでした。",
        "数分ほど時間をおいて、もう一度お試しください。",
    )),
    "en": Notice("Please try again shortly", (
        "Sorry, we could not complete your request just now.",
        "Please try again in a few minutes.",
    )),
    "ne": Notice("कृपया केही बेरपछि फेरि प्रयास गर्नुहोस्", (
        "माफ गर्नुहोला, अहिले तपाईंको अनुरोध पूरा गर्न सकिएन।",
        "कृपया केही मिनेटपछि फेरि प्रयास गर्नुहोस्।",
    )),
}


def failure_page(problem: Problem, lang: str, invalid: Notice) -> Response:
    """The HTML side of a problem: `invalid` for a link refused (4xx), else a page to retry.

    The status and the problem's headers (Retry-After on a 503) stay those of the problem.
    """
    notice = invalid if problem.status < 500 else UNAVAILABLE[lang]
    response = page(lang, notice.title, paragraphs(*notice.paragraphs), status=problem.status)
    response.headers.update(problem.headers)
    return response


# -- OpenAPI: what a route answering pages besides JSON documents -------------------------------

LANG_PARAMETER: dict[str, Any] = {
    "in": "query", "name": "lang", "required": False,
    "description": "Language of an HTML answer (ja, en or ne; a regional tag such as ne-NP "
                   "counts as its language). Without it, or for another language, "
                   "Accept-Language decides, then ja.",
    "schema": {"type": "string"}, "example": "ne"}
HEADERS_NOTE = ("HTML pages carry Content-Security-Policy (no scripts; forms post to this origin "
                "only; no framing), X-Frame-Options: DENY, Referrer-Policy: no-referrer and "
                "Cache-Control: no-store.")
HTML_CONTENT: dict[str, Any] = {"schema": {"type": "string"},
                                "example": '<!DOCTYPE html>\n<html lang="en">…</html>'}


def or_page(response: dict[str, Any], what: str) -> dict[str, Any]:
    """`response` (JSON or a problem), which a client preferring text/html gets as `what`."""
    return {**response, "description": f"{response['description']} A client preferring "
                                       f"text/html gets {what} instead.",
            "content": {**response["content"], "text/html": HTML_CONTENT}}
