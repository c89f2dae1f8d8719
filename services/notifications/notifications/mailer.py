"""Build MIME messages from rendered notifications and deliver them over SMTP.

Failures are classified so the caller can decide: ``TemporaryDeliveryError`` (retry with backoff)
or ``PermanentDeliveryError`` (record and suppress). Exception texts never contain e-mail addresses,
so they are safe to log.
"""

from __future__ import annotations

import email.contentmanager
import email.errors
import email.policy
import functools
import hashlib
import re
import secrets
import smtplib
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from notifications.render import RenderedMessage


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, building each header's class once: the standard one builds
    a new class at every lookup, twice per header set, a fifth of a message's build time."""

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[str, type] = {}

    def map_to_type(self, name: str, cls: type) -> None:
        super().map_to_type(name, cls)
        self._built.clear()

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = super().__getitem__(name)
        return built


class _Policy(email.policy.EmailPolicy):
    """The SMTP policy, remembering the header objects it parses from stored values: the
    generator reads a message's Content-Type headers several times while writing it, and
    parts' headers are the same for every message. Header objects are never changed once
    made, so sharing one is safe."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if hasattr(value, "name") or name.lower() not in _REMEMBERED:
            return super().header_fetch_parse(name, value)
        return _parsed(self.header_factory, name, value)


# Structural headers and our own (the sender): no recipient or subject (personal data) is kept.
_REMEMBERED = frozenset({"from", "content-type", "content-transfer-encoding", "mime-version",
                         "message-id"})


@functools.lru_cache(maxsize=256)
def _parsed(factory: Any, name: str, value: str) -> Any:
    # As EmailPolicy.header_fetch_parse: a folded value is unfolded before parsing.
    return factory(name, value.replace("\r", "").replace("\n", ""))


# 7bit transfer encoding (quoted-printable/base64 bodies, RFC 2047 headers) is accepted by every
# relay, whether or not it announces 8BITMIME or SMTPUTF8. No "From " mangling: that is mbox
# quoting, and on the wire it shows as ">From" in the text. refold_source="none" keeps a header
# stored with `set_raw` exactly as given (the folded Subject, a long List-Unsubscribe URL).
MESSAGE_POLICY = _Policy(linesep="\r\n", cte_type="7bit", mangle_from_=False,
                         refold_source="none", header_factory=_HeaderClasses())

# Headers whose value a mail client parses as a URL list (RFC 2369, RFC 8058): they must stay
# plain ASCII on one line, which the header folder would otherwise turn into an encoded-word.
_URL_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post"})


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 1025
    starttls: bool = False
    ca_file: str | None = None  # trust this CA for STARTTLS (a private relay); else the system's
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    from_addr: str = "info@j-ii.org"
    from_name: str = "Japan Intercultural Intelligence"
    reply_to: str | None = None
    message_id_domain: str = "jii.local"
    helo_name: str | None = None  # None: the local FQDN, as smtplib does


class DeliveryError(Exception):
    """SMTP delivery failed. ``smtp_code`` is the server's reply code, or None without one."""

    def __init__(self, reason: str, smtp_code: int | None = None) -> None:
        super().__init__(reason)
        self.smtp_code = smtp_code


class TemporaryDeliveryError(DeliveryError):
    """Worth retrying later: 4xx replies, network trouble, or a relay configuration problem."""


class PermanentDeliveryError(DeliveryError):
    """Retrying the same message will not help (5xx reply, unusable recipient address)."""


class DeliveryOutcomeUnknown(DeliveryError):
    """The whole message reached the relay but its verdict did not come back (the connection
    was lost while waiting for the reply to DATA): it may have been accepted, so sending it
    again could deliver a second copy."""


def delivery_key(event_id: str, kind: str, recipient: str) -> str:
    """The identity of one delivery: the same event, kind and recipient always give the same key."""
    return f"{event_id}:{kind}:{recipient.strip().lower()}"


def make_message_id(key: str, domain: str = "jii.local") -> str:
    """A stable ``Message-ID`` for a delivery key; hashing keeps the address out of the header."""
    # 128 bits is plenty for uniqueness, and the short form keeps the header on one line (a
    # folded Message-ID is legal but some parsers keep the fold's leading space).
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def build_message(
    rendered: RenderedMessage,
    *,
    to_addr: str,
    to_name: str | None,
    delivery_key: str,
    settings: SmtpSettings,
    date: datetime | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A multipart/alternative (text/plain + text/html, UTF-8) message ready for ``Mailer.send``.

    Non-ASCII display names (header registry) and subjects (``email.header``) are RFC 2047
    encoded, every header line within 78 characters. Raises
    ``PermanentDeliveryError`` when the recipient address cannot be used in a header.
    """
    msg = EmailMessage(policy=MESSAGE_POLICY)
    try:
        # Names come from web forms; a stray newline must not make the address unusable.
        display_name = " ".join((to_name or "").split())
        recipient = Address(display_name=display_name, addr_spec=to_addr.strip())
    except (ValueError, IndexError, TypeError, email.errors.MessageError):
        # "from None": the parser's message may quote the address, and tracebacks get logged.
        raise PermanentDeliveryError("recipient address is not a valid addr-spec") from None
    # Headers whose folded form is known are stored as it (`set_raw`): parsing each into a
    # header object and folding it again on the way out was most of a message's build time.
    _set_text_header(msg, "Subject", rendered.subject)
    msg.set_raw("From", _folded("From", settings.from_name, settings.from_addr))
    msg["To"] = recipient
    if settings.reply_to:
        msg["Reply-To"] = settings.reply_to
    msg.set_raw("Date", format_datetime(date or datetime.now(UTC)))
    msg.set_raw("Message-ID", make_message_id(delivery_key, settings.message_id_domain))
    # RFC 3834: tells auto-responders (vacation replies) not to answer.
    msg.set_raw("Auto-Submitted", "auto-generated")
    for name, value in (extra_headers or {}).items():
        if name.lower() in _URL_HEADERS:
            _set_url_header(msg, name, value)
        else:
            msg[name] = value
    # What set_content, make_alternative and add_alternative write, without their parsing.
    boundary = _boundary(rendered.text, rendered.html)
    msg.set_raw("MIME-Version", "1.0")
    msg.set_raw("Content-Type", f'multipart/alternative;{MESSAGE_POLICY.linesep}'
                                f' boundary="{boundary}"')
    msg.set_payload([_text_part("plain", rendered.text),
                     _text_part("html", rendered.html, mime_version=True)])
    msg.set_raw("Content-Language", rendered.locale)
    return msg


@functools.cache
def _folded(name: str, display_name: str, addr_spec: str) -> str:
    """An address header's value as the header registry folds it (the sender's, the same for
    every message: worked out once)."""
    header = MESSAGE_POLICY.header_factory(
        name, Address(display_name=display_name, addr_spec=addr_spec))
    return header.fold(policy=MESSAGE_POLICY)[len(name) + 2:].rstrip("\r\n")


def _text_part(subtype: str, text: str, mime_version: bool = False) -> EmailMessage:
    """A UTF-8 text part as `set_content` makes it: the same transfer encoding (whichever of
    quoted-printable and base64 is shorter), the same headers in the same order."""
    part = EmailMessage(policy=MESSAGE_POLICY)
    cte, payload = email.contentmanager._encode_text(text, "utf-8", None, MESSAGE_POLICY)
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    part.set_raw("Content-Transfer-Encoding", cte)
    if mime_version:  # add_alternative's part is an EmailMessage of its own, which adds it
        part.set_raw("MIME-Version", "1.0")
    part.set_payload(payload)
    return part


def _boundary(*bodies: str) -> str:
    # Chosen here, not by the generator, which would compile a regular expression to look for
    # its random boundary in the parts, for every message. "=_" appears in no quoted-printable
    # or base64 text, only in a 7bit part written as is: checked here, and drawn again.
    while True:
        boundary = f"=_{secrets.token_hex(16)}"
        if not any(boundary in body for body in bodies):
            return boundary


def _set_text_header(msg: EmailMessage, name: str, value: str) -> None:
    value = " ".join(value.split())
    if value.isascii():
        msg[name] = value
        return
    # Python 3.11's header folder drops a space when it folds between two encoded words (a
    # Nepali subject lost the space after its dash). email.header.Header keeps spaces inside the
    # encoded text, so encode with it and store the result as is.
    encoded = Header(value, "utf-8", header_name=name).encode(linesep=msg.policy.linesep)
    msg.set_raw(name, encoded)


def _set_url_header(msg: EmailMessage, name: str, value: str) -> None:
    value = " ".join(value.split())
    if not value.isascii() or len(name) + 2 + len(value) > 998:
        raise ValueError(f"{name} must be ASCII and fit on one line (RFC 5322)")
    msg.set_raw(name, value)


def to_wire(message: EmailMessage) -> bytes:
    """The bytes the relay gets: CRLF lines, generated with `MESSAGE_POLICY` (smtplib's
    `send_message` would generate with the compat32 defaults, which mangle "From " lines)."""
    return message.as_bytes(policy=MESSAGE_POLICY)


_ADDRESSY = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")


def _redact(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return _ADDRESSY.sub("<address>", " ".join(text.split()))[:300]


def _by_code(code: int, stage: str, reply: bytes | str) -> DeliveryError:
    reason = f"SMTP {code} at {stage}: {_redact(reply)}"
    if 500 <= code < 600:
        return PermanentDeliveryError(reason, code)
    return TemporaryDeliveryError(reason, code)


def classify_smtp_error(exc: BaseException) -> DeliveryError:
    """Map an smtplib/socket exception to a temporary or permanent delivery error."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        replies = [reply for _, reply in exc.recipients.values()]
        worst = max(codes) if all(500 <= c < 600 for c in codes) else min(codes)
        return _by_code(worst, "RCPT", replies[codes.index(worst)])
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # A bad relay password is an operator problem, not this message's: keep it retryable so
        # messages wait in the retry/dead-letter path instead of being suppressed for good.
        return TemporaryDeliveryError(f"SMTP {exc.smtp_code} at AUTH: login refused", exc.smtp_code)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _by_code(exc.smtp_code, "MAIL FROM", exc.smtp_error)
    if isinstance(exc, smtplib.SMTPDataError):
        return _by_code(exc.smtp_code, "DATA", exc.smtp_error)
    if isinstance(exc, smtplib.SMTPConnectError):
        return _by_code(exc.smtp_code, "connect", exc.smtp_error)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, "command", exc.smtp_error)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TemporaryDeliveryError("SMTP server disconnected")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        # STARTTLS/AUTH/SMTPUTF8 missing on the relay: configuration, so retryable (see AUTH above).
        return TemporaryDeliveryError(f"SMTP extension not supported: {_redact(str(exc))}")
    if isinstance(exc, ssl.SSLError):
        return TemporaryDeliveryError(f"TLS failure: {type(exc).__name__}")
    if isinstance(exc, (TimeoutError, ConnectionError, OSError)):
        return TemporaryDeliveryError(f"network error: {type(exc).__name__}")
    if isinstance(exc, smtplib.SMTPException):
        return TemporaryDeliveryError(f"SMTP error: {type(exc).__name__}")
    raise TypeError(f"not an SMTP delivery failure: {type(exc).__name__}") from exc


class Mailer:
    """Sends messages through one SMTP relay.

    `session()` gives a connection for a batch (an impact update to every partner), which
    spares a TCP, TLS and AUTH handshake per message. With `keep`, up to that many connections
    stay open between sessions (one per worker of a service), so each event's mail does not pay
    for a handshake and a QUIT either; without, `send` opens a connection for its one message.
    """

    def __init__(self, settings: SmtpSettings, keep: int = 0) -> None:
        self.settings = settings
        self.keep = keep
        self._idle: list[tuple[smtplib.SMTP, float]] = []  # (connection, monotonic time kept)

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        """A connection (a kept one, or one opened at the first send) for the block."""
        session = MailSession(self, self._take())
        try:
            yield session
        finally:
            self._keep_or_close(session.detach())

    def build_message(
        self,
        rendered: RenderedMessage,
        *,
        to_addr: str,
        to_name: str | None,
        delivery_key: str,
        date: datetime | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> EmailMessage:
        return build_message(
            rendered,
            to_addr=to_addr,
            to_name=to_name,
            delivery_key=delivery_key,
            settings=self.settings,
            date=date,
            extra_headers=extra_headers,
        )

    def send(self, message: EmailMessage) -> str:
        """Deliver ``message``; return its Message-ID once the relay has accepted it.
        Raises ``TemporaryDeliveryError``, ``PermanentDeliveryError`` or
        ``DeliveryOutcomeUnknown`` (see `MailSession.send`)."""
        with self.session() as session:
            return session.send(message)

    def connect(self) -> smtplib.SMTP:
        """A connection ready for MAIL FROM: greeted, under TLS and logged in as configured."""
        s = self.settings
        smtp: smtplib.SMTP | None = None
        try:
            # The host goes to the constructor: STARTTLS checks the certificate against it.
            smtp = _RelayConnection(s.host, s.port, timeout=s.timeout,
                                    local_hostname=s.helo_name)
            smtp.ehlo()
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=s.ca_file))
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except (smtplib.SMTPException, OSError) as exc:
            if smtp is not None:
                smtp.close()
            raise classify_smtp_error(exc) from None
        return smtp

    def close(self) -> None:
        """Say goodbye on every kept connection (at service stop)."""
        while self._idle:
            _quit(self._idle.pop()[0])

    def _take(self) -> smtplib.SMTP | None:
        now = time.monotonic()
        while self._idle:
            smtp, since = self._idle.pop()
            if now - since < KEEP_IDLE_SECONDS:
                return smtp
            # Long idle: a relay or a firewall may have forgotten it without a word, and the
            # next command would then wait for the whole timeout before we redial.
            smtp.close()
        return None

    def _keep_or_close(self, smtp: smtplib.SMTP | None) -> None:
        if smtp is None:
            return
        if len(self._idle) < self.keep:
            self._idle.append((smtp, time.monotonic()))
        else:
            _quit(smtp)


# Kept connections idle longer than this are closed rather than reused. Relays wait at least
# five minutes for a client's next command (RFC 5321 4.5.3.2); this stays well inside that.
KEEP_IDLE_SECONDS = 60.0


class _RelayConnection(smtplib.SMTP):
    """An SMTP connection that notes when a message reaches the DATA command (a failure
    before it means the relay cannot have taken that message) and when the whole message has
    gone and only the relay's verdict is awaited (a failure then leaves the outcome unknown)."""

    data_started = False
    awaiting_verdict = False
    _replies_in_data = -1  # outside DATA

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        self.data_started = True
        self._replies_in_data = 0
        try:
            return super().data(msg)
        finally:
            self._replies_in_data = -1  # outside DATA again

    def getreply(self) -> tuple[int, bytes]:
        # Within DATA the first reply is the go-ahead (354); the second is read once the
        # message and its final dot were sent: the verdict.
        if self._replies_in_data == 1:
            self.awaiting_verdict = True
        reply = super().getreply()
        self.awaiting_verdict = False
        if self._replies_in_data >= 0:
            self._replies_in_data += 1
        return reply


def _quit(smtp: smtplib.SMTP) -> None:
    # The relay owns what it accepted; a failing QUIT must not turn into a retry.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _transmit(smtp: smtplib.SMTP, message: EmailMessage) -> None:
    sender = message["From"].addresses[0].addr_spec
    recipients = [address.addr_spec for address in message["To"].addresses]
    options: list[str] = []
    if not all(address.isascii() for address in (sender, *recipients)):
        # What send_message does for an internationalised address.
        if not smtp.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError("SMTPUTF8 not offered")
        options = ["SMTPUTF8", "BODY=8BITMIME"]
    smtp.sendmail(sender, recipients, to_wire(message), mail_options=options)


def _closed_before_data(smtp: smtplib.SMTP, exc: BaseException) -> bool:
    """Whether the relay had closed the connection before this message's DATA command: then
    it cannot have the message, and sending it on a new connection makes no second copy."""
    if not isinstance(smtp, _RelayConnection) or smtp.data_started:
        return False  # the relay may have the message: only the delivery log may decide
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return exc.smtp_code == 421  # "closing transmission channel" (RFC 5321 3.8)
    return isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException))


class MailSession:
    """One relay connection for several messages, as `Mailer.session()` gives it.

    A failure other than a refused address drops the connection, and the next message opens a
    fresh one. A connection that already carried a message may have been closed by the relay
    since (an idle timeout, a restart): if it fails before the message's DATA command, the
    message goes again at once on a new connection, which the relay cannot have seen it on. A
    relay that cannot be reached at all is not dialed again within the batch: each remaining
    message is deferred at once.
    """

    def __init__(self, mailer: Mailer, smtp: smtplib.SMTP | None = None) -> None:
        self.mailer = mailer
        self._smtp = smtp
        self._used = smtp is not None  # it carried a message before: the relay may have closed it
        self._unreachable: TemporaryDeliveryError | None = None

    def build_message(self, rendered: RenderedMessage, **kwargs: Any) -> EmailMessage:
        return self.mailer.build_message(rendered, **kwargs)

    def _ready(self) -> smtplib.SMTP:
        if self._unreachable is not None:
            # The relay could not be reached (or refused TLS or the login) for an earlier
            # message of this batch: every other one waits too, without dialing again.
            raise self._unreachable
        if self._smtp is None:
            try:
                self._smtp = self.mailer.connect()
            except TemporaryDeliveryError as exc:
                self._unreachable = exc
                raise
            self._used = False
        return self._smtp

    def send(self, message: EmailMessage) -> str:
        """Deliver ``message``; return its Message-ID once the relay has accepted it.

        Raises ``TemporaryDeliveryError`` or ``PermanentDeliveryError``, or
        ``DeliveryOutcomeUnknown`` when the relay's verdict on the whole message was lost.
        """
        smtp = self._ready()
        if isinstance(smtp, _RelayConnection):
            smtp.data_started = smtp.awaiting_verdict = False
        try:
            _transmit(smtp, message)
        except (smtplib.SMTPException, OSError) as exc:
            if not isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)):
                self._drop()  # a refused address leaves the session usable (smtplib sent RSET)
            elif smtp.sock is None:
                self._smtp = None  # a 421 refusal: smtplib closed it
            if isinstance(smtp, _RelayConnection) and smtp.awaiting_verdict:
                raise DeliveryOutcomeUnknown(
                    "connection lost while waiting for the relay's reply to the message"
                    f" ({type(exc).__name__}): it may have been accepted") from None
            if self._used and _closed_before_data(smtp, exc):
                self._drop()
                return self.send(message)  # on a new connection, so at most once more
            if isinstance(exc, smtplib.SMTPNotSupportedError):
                error: DeliveryError = PermanentDeliveryError(
                    "an address needs SMTPUTF8, which the relay does not offer"
                )
            else:
                error = classify_smtp_error(exc)
            # "from None": smtplib's exceptions carry the recipient addresses.
            raise error from None
        except BaseException:
            # Cut short mid-conversation (the worker killed): what the relay thinks the
            # connection is doing is unknown, so it must never carry another message.
            self._drop()
            raise
        self._used = True
        return str(message["Message-ID"])

    def detach(self) -> smtplib.SMTP | None:
        """The connection, still open and between messages, for another session; or None."""
        smtp, self._smtp = self._smtp, None
        return smtp

    def close(self) -> None:
        smtp = self.detach()
        if smtp is not None:
            _quit(smtp)

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()
