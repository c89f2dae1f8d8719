"""SMTP delivery against the real aiosmtpd sink running as a subprocess on loopback."""

from __future__ import annotations

import email
import email.policy
import email.utils
import gc
import smtplib
import socket
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from notifications.mailer import (
    Mailer,
    PermanentDeliveryError,
    SmtpSettings,
    TemporaryDeliveryError,
    build_message,
    classify_smtp_error,
    delivery_key,
    make_message_id,
)
from notifications.render import RenderedMessage, render
from servicekit.devtools.smtp_sink import start_smtp_sink, stop
from servicekit.testing import free_port

EVENT_ID = "6f1c2a52-3f0e-4a4e-9a51-0c8d1f3b7e21"
TO_ADDR = "supporter@example.org"

CASES = {
    "ja": {"to_name": "山田 花子", "from_name": "JII 事務局"},
    "ne": {"to_name": "सीता गुरुङ", "from_name": "JII नेपाली सहयोग"},
}


class Sink:
    def __init__(self, port: int, maildir: Path) -> None:
        self.port = port
        self.maildir = maildir

    def messages(self) -> list[tuple[bytes, EmailMessage]]:
        found = []
        for path in sorted(self.maildir.glob("*.eml")):
            raw = path.read_bytes()
            found.append((raw, email.message_from_bytes(raw, policy=email.policy.default)))
        return found


@pytest.fixture
def start_sink(tmp_path: Path) -> Iterator[Callable[..., Sink]]:
    procs: list[subprocess.Popen[bytes]] = []
    logs = []

    def start(**opts: object) -> Sink:
        port = free_port()
        maildir = tmp_path / f"mail-{port}"
        log = open(tmp_path / f"sink-{port}.log", "wb")  # closed at teardown
        logs.append(log)
        procs.append(start_smtp_sink(port, maildir, log=log, **opts))  # type: ignore[arg-type]
        return Sink(port, maildir)

    yield start
    for proc in procs:
        stop(proc)
    for log in logs:
        log.close()


def _settings(port: int, from_name: str = "Japan Intercultural Intelligence") -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        timeout=5,
        from_addr="info@j-ii.org",
        from_name=from_name,
        helo_name="localhost",
    )


def _rendered(locale: str) -> RenderedMessage:
    return render(
        "pledge_welcome",
        locale,
        {
            "name": CASES.get(locale, CASES["ja"])["to_name"],
            "amount": 3000,
            "receipt_number": "R2026-000123",
            "paid_at": "2026-04-01T00:00:00+00:00",
            "manage_url": "https://jii.example/pledge?token=abc.def",
        },
    )


def _message(settings: SmtpSettings, locale: str = "ja", event_id: str = EVENT_ID) -> EmailMessage:
    return build_message(
        _rendered(locale),
        to_addr=TO_ADDR,
        to_name=CASES[locale]["to_name"],
        delivery_key=delivery_key(event_id, "pledge_welcome", TO_ADDR),
        settings=settings,
    )


@pytest.mark.parametrize("locale", sorted(CASES))
def test_message_arrives_as_utf8_alternative_with_encoded_names_and_subject(
    start_sink: Callable[..., Sink], locale: str
) -> None:
    sink = start_sink()
    settings = _settings(sink.port, from_name=CASES[locale]["from_name"])
    rendered = _rendered(locale)
    key = delivery_key(EVENT_ID, "pledge_welcome", TO_ADDR)
    sent = build_message(
        rendered,
        to_addr=TO_ADDR,
        to_name=CASES[locale]["to_name"],
        delivery_key=key,
        settings=settings,
        date=datetime(2026, 4, 1, 0, 0, 5, tzinfo=UTC),
    )

    message_id = Mailer(settings).send(sent)

    [(raw, received)] = sink.messages()
    head = raw.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")  # non-ASCII names and subject travel RFC 2047-encoded
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    assert received.get_content_type() == "multipart/alternative"
    plain, html = received.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    # MIME text travels with CRLF line ends; the words must come back unchanged.
    assert plain.get_content().replace("\r\n", "\n") == rendered.text
    assert html.get_content().replace("\r\n", "\n") == rendered.html
    assert received["Subject"] == rendered.subject
    [to] = received["To"].addresses
    assert (to.display_name, to.addr_spec) == (CASES[locale]["to_name"], TO_ADDR)
    [sender] = received["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (CASES[locale]["from_name"], "info@j-ii.org")
    assert received["Message-ID"] == message_id == make_message_id(key, "jii.local")
    assert received["Date"].datetime == datetime(2026, 4, 1, 0, 0, 5, tzinfo=UTC)
    assert received["Content-Language"] == locale


def test_message_id_is_stable_per_delivery_key_and_hides_the_address() -> None:
    settings = _settings(1025)
    first = _message(settings)["Message-ID"]

    assert _message(settings)["Message-ID"] == first
    assert _message(settings, event_id="another-event")["Message-ID"] != first
    assert delivery_key(EVENT_ID, "pledge_welcome", " Supporter@Example.org ") == delivery_key(
        EVENT_ID, "pledge_welcome", TO_ADDR
    )
    assert delivery_key(EVENT_ID, "pledge_welcome", TO_ADDR) != delivery_key(
        EVENT_ID, "donation_thanks", TO_ADDR
    )
    assert "example.org" not in first
    assert first.endswith("@jii.local>")
    other_domain = SmtpSettings(message_id_domain="mail.j-ii.org")
    assert _message(other_domain)["Message-ID"].endswith("@mail.j-ii.org>")


def test_a_451_is_temporary_and_the_retry_is_delivered_once(
    start_sink: Callable[..., Sink],
) -> None:
    sink = start_sink(fail_first=1, fail_code=451)
    mailer = Mailer(_settings(sink.port))
    message = _message(mailer.settings)

    with pytest.raises(TemporaryDeliveryError) as failed:
        mailer.send(message)
    assert failed.value.smtp_code == 451
    assert sink.messages() == []

    mailer.send(message)
    assert len(sink.messages()) == 1


def test_a_550_is_permanent_and_its_error_text_carries_no_address(
    start_sink: Callable[..., Sink],
) -> None:
    sink = start_sink(always_fail_code=550)
    mailer = Mailer(_settings(sink.port))

    with pytest.raises(PermanentDeliveryError) as failed:
        mailer.send(_message(mailer.settings))

    assert failed.value.smtp_code == 550
    assert TO_ADDR not in str(failed.value)
    # smtplib's own exception lists the recipients, so it must not ride along into logs.
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    assert sink.messages() == []


def test_a_554_after_data_is_permanent(start_sink: Callable[..., Sink]) -> None:
    sink = start_sink(always_fail_code=554, fail_stage="data")
    mailer = Mailer(_settings(sink.port))

    with pytest.raises(PermanentDeliveryError) as failed:
        mailer.send(_message(mailer.settings))

    assert failed.value.smtp_code == 554
    assert sink.messages() == []


def test_a_refused_connection_is_temporary() -> None:
    mailer = Mailer(_settings(free_port()))  # nothing listens there
    with pytest.raises(TemporaryDeliveryError) as failed:
        mailer.send(_message(mailer.settings))
    assert failed.value.smtp_code is None


@pytest.mark.parametrize(
    ("exc", "expected", "code"),
    [
        (smtplib.SMTPRecipientsRefused({TO_ADDR: (550, b"5.1.1 <x@y> unknown")}), "perm", 550),
        (smtplib.SMTPRecipientsRefused({TO_ADDR: (452, b"4.2.2 mailbox full")}), "temp", 452),
        (smtplib.SMTPSenderRefused(421, b"try later", "info@j-ii.org"), "temp", 421),
        (smtplib.SMTPDataError(552, b"too big"), "perm", 552),
        (smtplib.SMTPConnectError(421, b"busy"), "temp", 421),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), "temp", 535),
        (smtplib.SMTPServerDisconnected("gone"), "temp", None),
        (TimeoutError("timed out"), "temp", None),
        (ConnectionResetError(), "temp", None),
    ],
)
def test_smtp_failures_are_classified(exc: BaseException, expected: str, code: int | None) -> None:
    error = classify_smtp_error(exc)
    kind = {"perm": PermanentDeliveryError, "temp": TemporaryDeliveryError}[expected]
    assert type(error) is kind
    assert error.smtp_code == code
    assert "@" not in str(error)


@pytest.mark.parametrize("bad", ["not an address", "<a@b.example>", "a@b.example\r\nBcc: c@d"])
def test_an_unusable_recipient_address_is_permanent(bad: str) -> None:
    with pytest.raises(PermanentDeliveryError):
        build_message(
            _rendered("ja"),
            to_addr=bad,
            to_name="x",
            delivery_key="k",
            settings=_settings(1025),
        )


def test_a_newline_in_the_display_name_does_not_reach_the_headers() -> None:
    msg = build_message(
        _rendered("ja"),
        to_addr=TO_ADDR,
        to_name="山田\r\nBcc: someone@example.net",
        delivery_key="k",
        settings=_settings(1025),
    )
    assert msg["Bcc"] is None
    assert msg["To"].addresses[0].display_name == "山田 Bcc: someone@example.net"


# -- a relay as production has one: STARTTLS and AUTH, one connection for a batch -----------


def _tls_settings(sink, **changes) -> SmtpSettings:
    from dataclasses import replace

    tls = {"starttls": True, "ca_file": sink.ca_file, "username": sink.username,
           "password": sink.password}
    return replace(_settings(sink.port), **{**tls, **changes})


def test_mail_goes_through_starttls_and_auth_to_a_relay_that_requires_both(tls_smtp_sink):
    Mailer(_tls_settings(tls_smtp_sink)).send(_message(_tls_settings(tls_smtp_sink)))
    [received] = tls_smtp_sink.messages()
    assert received["To"].addresses[0].addr_spec == TO_ADDR


def test_a_relay_that_refuses_the_login_is_a_temporary_failure_and_nothing_is_sent(
        tls_smtp_sink):
    # A wrong password is the operator's to fix; the mail must wait for it, not be dropped.
    settings = _tls_settings(tls_smtp_sink, password="wrong")
    with pytest.raises(TemporaryDeliveryError):
        Mailer(settings).send(_message(settings))
    assert tls_smtp_sink.messages() == []


# eventlet's green SSL socket is left for the collector when its handshake fails; ours is closed.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_relay_whose_certificate_we_do_not_trust_gets_nothing(tls_smtp_sink):
    settings = _tls_settings(tls_smtp_sink, ca_file=None)  # the system's CAs only
    with pytest.raises(TemporaryDeliveryError):
        Mailer(settings).send(_message(settings))
    assert tls_smtp_sink.messages() == []
    gc.collect()  # collect eventlet's socket here, under this test's filter, not in the next


def test_a_session_sends_a_batch_on_one_connection_and_send_alone_opens_one_each(
        tls_smtp_sink):
    mailer = Mailer(_tls_settings(tls_smtp_sink))
    with mailer.session() as session:
        for i in range(3):
            session.send(_message(mailer.settings, event_id=f"batch-{i}"))
    mailer.send(_message(mailer.settings, event_id="alone-1"))
    mailer.send(_message(mailer.settings, event_id="alone-2"))
    assert tls_smtp_sink.connections() == [1, 1, 1, 2, 3]


def test_a_session_whose_connection_the_relay_dropped_reconnects_without_losing_the_message(
        tls_smtp_sink):
    mailer = Mailer(_tls_settings(tls_smtp_sink))
    with mailer.session() as session:
        session.send(_message(mailer.settings, event_id="before"))
        session._smtp.sock.shutdown(socket.SHUT_RDWR)  # as a relay dropping an idle one would
        session.send(_message(mailer.settings, event_id="after"))
    assert tls_smtp_sink.connections() == [1, 2]


def test_a_session_keeps_its_connection_after_a_refused_address(
    start_sink: Callable[..., Sink],
) -> None:
    # A 550 for one recipient says nothing about the relay: the next message reuses the link.
    sink = start_sink(fail_first=1, fail_code=550)
    mailer = Mailer(_settings(sink.port))
    dialed = []
    real_connect = mailer.connect
    mailer.connect = lambda: dialed.append(1) or real_connect()
    with mailer.session() as session:
        with pytest.raises(PermanentDeliveryError):
            session.send(_message(mailer.settings, event_id="refused"))
        session.send(_message(mailer.settings, event_id="after"))
    assert dialed == [1] and len(sink.messages()) == 1


def test_a_session_dials_an_unreachable_relay_once_and_defers_the_rest_at_once() -> None:
    mailer = Mailer(_settings(free_port()))  # nothing listens there
    dialed = []
    real_connect = mailer.connect
    mailer.connect = lambda: dialed.append(1) or real_connect()
    with mailer.session() as session:
        for i in range(3):
            with pytest.raises(TemporaryDeliveryError):
                session.send(_message(mailer.settings, event_id=f"batch-{i}"))
    assert dialed == [1]


def test_a_line_starting_with_from_arrives_unescaped_in_every_part(
    start_sink: Callable[..., Sink],
) -> None:
    # ">From" is mbox quoting; on the wire it is a visible typo in the English welcome.
    sink = start_sink()
    settings = _settings(sink.port)
    Mailer(settings).send(build_message(
        _rendered("en"), to_addr=TO_ADDR, to_name="Ann", settings=settings,
        delivery_key=delivery_key(EVENT_ID, "pledge_welcome", TO_ADDR)))
    [(raw, received)] = sink.messages()
    assert not [line for line in raw.split(b"\r\n") if line.startswith(b">From")]
    plain, html = received.iter_parts()
    assert "\nFrom now on," in plain.get_content().replace("\r\n", "\n")
    assert ">>From" not in html.get_content()


def test_list_unsubscribe_arrives_as_a_plain_one_click_link_a_mail_client_can_use(
    start_sink: Callable[..., Sink],
) -> None:
    # RFC 2369 / 8058: a client reads the raw header, finds <https://...> and POSTs
    # "List-Unsubscribe=One-Click" there. An RFC 2047 encoded-word is no link at all.
    sink = start_sink()
    settings = _settings(sink.port)
    url = "https://j-ii.org/api/unsubscribe/" + "x" * 180 + ".signature-part"
    Mailer(settings).send(build_message(
        _rendered("en"), to_addr=TO_ADDR, to_name="Ann", settings=settings,
        delivery_key=delivery_key(EVENT_ID, "impact_update", TO_ADDR),
        extra_headers={"List-Unsubscribe": f"<{url}>",
                       "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}))
    [(raw, _)] = sink.messages()
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    unfolded = email.message_from_string(head, policy=email.policy.compat32)
    value = " ".join(unfolded["List-Unsubscribe"].split())
    assert "=?" not in value
    assert value == f"<{url}>"
    assert unfolded["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert max(len(line) for line in head.split("\r\n")) <= 998


def _the_slow_way(rendered: RenderedMessage, *, to_addr: str, to_name: str, key: str,
                  settings: SmtpSettings, date: datetime, headers: dict[str, str]) -> bytes:
    """The message as the standard library's own steps build it (header objects,
    set_content, make_alternative, add_alternative): what `build_message` writes directly."""
    from email.header import Header
    from email.headerregistry import Address

    msg = EmailMessage(policy=email.policy.SMTP.clone(cte_type="7bit", mangle_from_=False,
                                                      refold_source="none"))
    subject = " ".join(rendered.subject.split())
    if subject.isascii():
        msg["Subject"] = subject
    else:
        msg.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode(
            linesep="\r\n"))
    msg["From"] = Address(display_name=settings.from_name, addr_spec=settings.from_addr)
    msg["To"] = Address(display_name=to_name, addr_spec=to_addr)
    if settings.reply_to:
        msg["Reply-To"] = settings.reply_to
    msg["Date"] = email.utils.format_datetime(date)
    msg["Message-ID"] = make_message_id(key, settings.message_id_domain)
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in headers.items():
        if name.lower().startswith("list-unsubscribe"):
            msg.set_raw(name, value)
        else:
            msg[name] = value
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.make_alternative(boundary="=_" + "ab" * 16)
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    msg["Content-Language"] = rendered.locale
    return msg.as_bytes()


@pytest.mark.parametrize("locale", ["ja", "ne", "en"])
@pytest.mark.parametrize("extra", [{}, {
    "List-Unsubscribe": "<https://example.org/u?t=abc>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "X-Campaign": "impact 2026"}])
def test_a_message_is_byte_for_byte_what_the_standard_librarys_steps_make(
        locale: str, extra: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    import notifications.mailer as mailer

    monkeypatch.setattr(mailer.secrets, "token_hex", lambda n: "ab" * n)
    rendered = render("donation_thanks", locale, {
        "name": "Hanako", "amount": 10000, "receipt_number": "R2026-000124",
        "paid_at": "2026-03-31T16:30:00+00:00", "manage_url": None,
        "source": "card_one_time", "tier_impact": None, "designation_name": None,
        "receipt_url": None})
    settings = SmtpSettings(from_name=CASES.get(locale, {}).get("from_name", "JII"),
                            reply_to="reply@j-ii.org" if extra else None)
    to_name = CASES.get(locale, {}).get("to_name", "Ann O'Brien, PhD")
    date = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    key = delivery_key(EVENT_ID, "donation_thanks", TO_ADDR)
    built = build_message(rendered, to_addr=TO_ADDR, to_name=to_name, delivery_key=key,
                          settings=settings, date=date, extra_headers=extra)
    assert mailer.to_wire(built) == _the_slow_way(
        rendered, to_addr=TO_ADDR, to_name=to_name, key=key, settings=settings, date=date,
        headers=extra)
