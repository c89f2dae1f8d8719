"""A receipt's frozen content made into a PDF (寄附金受領証明書), in Japanese or English.

WeasyPrint lays out HTML and CSS through Pango and HarfBuzz, so Japanese and Devanagari (a
donor's name in Nepali) are shaped as a browser would, and fonts are embedded as subsets: the
text extracts back exactly. Its fonts are the system's (fonts-noto-cjk, fonts-noto-core,
fonts-ipaexfont in deploy/system-packages.txt); no asset is fetched from anywhere.

Rendering is plain CPU work from a dict to bytes, with no database and no clock: the same
content gives the same document, which is why an English copy made later says what the
Japanese original said. The caller keeps the bytes; this module never stores anything.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

LANGUAGES = ("ja", "en")

# WeasyPrint logs each layout step at INFO, and font subsetting is chatty too.
for _noisy in ("weasyprint", "weasyprint.progress", "fontTools"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)
TEMPLATES = Path(__file__).with_name("receipt_templates")


@dataclass(frozen=True)
class Texts:
    title: str
    number: str
    issued_on: str
    donor_address: str
    donor_name: str
    honorific: str
    honorific_company: str
    statement: str
    amount: str
    received_on: str
    method: str
    purpose: str
    purpose_text: str
    annual_intro: str
    payment_number: str
    item_amount: str
    total: str
    certification: str
    resident_tax: str
    keep: str
    replaces: str
    sources: dict[str, str] = field(default_factory=dict)
    translation_note: str = ""


TEXTS = {
    "ja": Texts(
        title="寄附金受領証明書",
        number="証明書番号",
        issued_on="発行日",
        donor_address="寄附者住所",
        donor_name="寄附者氏名",
        honorific=" 様",
        honorific_company=" 御中",
        statement="下記の金額を、{org}の特定非営利活動に係る事業に関連する寄附金として"
                  "受領したことを証明いたします。",
        amount="寄附金額",
        received_on="受領日",
        method="受領方法",
        purpose="寄附の目的",
        purpose_text="特定非営利活動に係る事業への寄附",
        annual_intro="{year}年1月1日から12月31日までに受領した寄附金の明細は次のとおりです。",
        payment_number="受付番号",
        item_amount="金額",
        total="合計",
        certification="認定番号 {number}（認定日 {date}）",
        resident_tax="当法人は、{by}の条例により、個人住民税の寄附金税額控除の対象となる法人として"
                     "指定を受けています。お住まいの自治体によっては、住民税の控除を受けられます。",
        keep="この証明書は、確定申告で所得税の寄附金控除（所得控除または税額控除）を受ける際に"
             "必要となります。大切に保管してください。",
        replaces="本証明書は、証明書番号 {number} に代わるものです（{number} は無効です）。",
        sources={"card_one_time": "クレジットカード", "monthly": "クレジットカード（毎月）",
                 "bank_transfer": "銀行振込", "grant": "銀行振込（助成）"},
    ),
    "en": Texts(
        title="Receipt for Donation",
        number="Receipt number",
        issued_on="Issued on",
        donor_address="Donor's address",
        donor_name="Donor's name",
        honorific="",
        honorific_company="",
        statement="We certify that {org} has received the amount below as a donation to its "
                  "specified non-profit activities.",
        amount="Amount donated",
        received_on="Date received",
        method="Paid by",
        purpose="Purpose",
        purpose_text="A donation to specified non-profit activities",
        annual_intro="The donations received from 1 January to 31 December {year} were:",
        payment_number="Payment number",
        item_amount="Amount",
        total="Total",
        certification="Certification number {number} (certified on {date})",
        resident_tax="The organisation is designated by ordinance of {by} for the resident-tax "
                     "donation credit; depending on where you live, you may deduct this gift "
                     "from your resident tax.",
        keep="You need this receipt to claim the donation deduction or credit in your income "
             "tax return. Please keep it safe.",
        replaces="This receipt replaces receipt {number}, which is void.",
        sources={"card_one_time": "Credit card", "monthly": "Credit card (monthly)",
                 "bank_transfer": "Bank transfer", "grant": "Bank transfer (grant)"},
        translation_note="English translation for your information. The Japanese receipt of "
                         "the same number is the original.",
    ),
}


def _yen(amount: int) -> str:
    return f"¥{amount:,}"


def _day(value: str | date, lang: str = "ja") -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日"


def _day_en(value: str | date) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["yen"] = _yen
    env.filters["day"] = _day if lang == "ja" else _day_en
    return env


def html(content: dict[str, Any], lang: str = "ja") -> str:
    """The receipt as HTML: what the PDF is made from (and what tests may look at)."""
    if lang not in LANGUAGES:
        raise ValueError(f"receipts are made in {', '.join(LANGUAGES)}, not {lang!r}")
    organisation = dict(content["organisation"])
    organisation["resident_tax_designated_by"] = (
        organisation.get("resident_tax_designated_by") or {}).get(lang)
    page = {**content, "organisation": organisation}
    return _environment(lang).get_template("receipt.html").render(
        r=page, t=TEXTS[lang], lang=lang)


def render(content: dict[str, Any], lang: str = "ja") -> bytes:
    """The PDF bytes of a receipt. Blocking CPU work: services call it through `render_off_hub`.

    One render at a time per process: WeasyPrint is not documented as thread-safe, and two
    green threads entering its first import together (the year-end run renders ahead in green
    threads) find it half initialised."""
    with _one_at_a_time():
        import weasyprint  # imported on first use: it loads Pango and the fonts (about a second)

        return weasyprint.HTML(string=html(content, lang), base_url=str(TEMPLATES)).write_pdf(
            pdf_identifier=content["number"].encode(), font_config=_font_config())


def _one_at_a_time() -> Any:
    """The lock renders take: a green one where eventlet runs (a real lock would block the
    hub, and the thread holding it with it), a plain one in the render child."""
    global _guard
    if _guard is None:
        if "eventlet" in sys.modules:
            from eventlet.semaphore import Semaphore

            _guard = Semaphore(1)
        else:
            _guard = threading.Lock()
    return _guard


_guard: Any = None


def _font_config() -> Any:
    """One WeasyPrint font configuration for every render of this process.

    A fresh one per document (WeasyPrint's default) makes fontconfig and Pango look the
    fonts up again each time: measured, that was more than half of a receipt's render
    (0.38 s against 0.16 s with one kept). The bytes are the same either way (fonts are
    subset per document), which the tests check.
    """
    global _fonts
    if _fonts is None:
        from weasyprint.text.fonts import FontConfiguration

        _fonts = FontConfiguration()
    return _fonts


_fonts: Any = None


def render_off_hub(content: dict[str, Any], lang: str = "ja") -> bytes:
    """`render` in a child process, so the eventlet hub keeps serving webhooks meanwhile.

    Measured (bench/bench_receipts.py): rendering inline stalls the hub for a whole render
    (0.5-1 s on a busy machine); in an OS thread (eventlet.tpool) still for hundreds of ms,
    since layout and font subsetting are Python holding the GIL. A child process shares no GIL:
    the service only waits on a pipe. Each child renders one receipt at a time (WeasyPrint is
    not documented as thread-safe); a service process keeps up to `RENDER_PROCESSES` of them
    warm, so two renders at once (the year-end run renders the next supporter's receipt while
    it stores this one's) use both cores.
    """
    global _renderer
    if _renderer is None:
        _renderer = RenderPool(RENDER_PROCESSES)
    return _renderer.render(content, lang)


# One per core, at most two: the service's own work needs a core too, and each child holds
# about 100 MiB (Pango, fonts).
RENDER_PROCESSES = max(1, min(2, os.cpu_count() or 1))


class RenderPool:
    """Up to `size` render processes; a render takes an idle one, started on first need.

    Last in, first out: one render at a time keeps using the same warm child, and a second
    child starts only once two renders overlap."""

    def __init__(self, size: int) -> None:
        from eventlet.queue import LifoQueue  # not in the child, which has no hub

        self._idle: Any = LifoQueue()
        for _ in range(size):
            self._idle.put(RenderProcess())

    def render(self, content: dict[str, Any], lang: str) -> bytes:
        process = self._idle.get()
        try:
            return process.render(content, lang)
        finally:
            self._idle.put(process)

    def stop(self) -> None:
        """Stop the children that are idle (all of them, when nothing renders)."""
        while not self._idle.empty():
            self._idle.get().close()


def stop_renderers() -> None:
    """Stop this process's render children; the next render starts them again."""
    global _renderer
    if _renderer is not None:
        _renderer.stop()
        _renderer = None


class RenderFailed(Exception):
    """The child process could not make the PDF (its error is the message)."""


class RenderProcess:
    """A long-lived `python -m donations.receipt_pdf` fed over its stdin and stdout: a
    length-prefixed JSON request in, a status byte and a length-prefixed PDF (or error) out.
    Started on first use (WeasyPrint takes seconds to load), started again if it died; it
    exits when its stdin closes, so it never outlives the service."""

    def __init__(self) -> None:
        from eventlet.semaphore import Semaphore  # not in the child, which has no hub

        self._process: Any = None
        self._slot = Semaphore(1)

    def render(self, content: dict[str, Any], lang: str) -> bytes:
        tag = os.urandom(8)
        request = json.dumps({"content": content, "lang": lang}).encode()
        with self._slot:
            process = self._running()
            try:
                process.stdin.write(tag + len(request).to_bytes(4, "big") + request)
                process.stdin.flush()
                answer_tag = _read_exactly(process.stdout, 8)
                status = _read_exactly(process.stdout, 1)
                body = _read_exactly(process.stdout, int.from_bytes(
                    _read_exactly(process.stdout, 4), "big"))
                if answer_tag != tag:
                    raise EOFError("the render process answered another request")
            except BaseException as exc:
                # Killed while waiting (a worker stopped), or the pipe broke: an answer may be
                # left in the pipe, so this child is never asked again.
                self._process = None
                process.kill()
                if isinstance(exc, (OSError, EOFError)):
                    raise RenderFailed(f"the render process stopped: {exc}") from None
                raise
        if status != b"\x00":
            raise RenderFailed(body.decode("utf-8", "replace"))
        return body

    def _running(self) -> Any:
        if self._process is None or self._process.poll() is not None:
            from eventlet.green import subprocess

            self._process = subprocess.Popen(
                [sys.executable, "-m", "donations.receipt_pdf"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            atexit.register(self.stop, self._process)
        return self._process

    def close(self) -> None:
        if self._process is not None:
            self.stop(self._process)
            self._process = None

    @staticmethod
    def stop(process: Any) -> None:
        """Close the child's input (it exits on that) and reap it."""
        if process.poll() is None:
            process.stdin.close()
            try:
                process.wait(timeout=5)
            except Exception:  # a child stuck in a render: it has nothing to keep
                process.kill()
                process.wait()
        process.stdout.close()


def _read_exactly(stream: Any, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the render process closed its output")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def serve(stdin: Any, stdout: Any) -> None:
    """The child's loop: one request at a time until stdin closes; each answer starts with
    the request's tag, so the parent never takes one answer for another."""
    while True:
        try:
            tag = _read_exactly(stdin, 8)
            size = int.from_bytes(_read_exactly(stdin, 4), "big")
        except EOFError:
            return
        request = json.loads(_read_exactly(stdin, size))
        try:
            status, body = b"\x00", render(request["content"], request["lang"])
        except Exception as exc:  # told to the parent, which raises it there
            status, body = b"\x01", f"{type(exc).__name__}: {exc}".encode()
        stdout.write(tag + status + len(body).to_bytes(4, "big") + body)
        stdout.flush()


_renderer: RenderPool | None = None


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
