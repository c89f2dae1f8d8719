"""A local SMTP server that keeps every accepted message as an .eml file, for tests and dev runs.

`python -m servicekit.devtools.smtp_sink --host 127.0.0.1 --port 1025 --maildir var/mail
[--fail-first N --fail-code 451] [--always-fail-code 550] [--fail-stage rcpt|data|after-data]
[--tls-cert FILE --tls-key FILE] [--auth USER:PASSWORD] [--idle-timeout SECONDS]`

Each message is written as the raw bytes received (after SMTP dot-unstuffing) to
`<maildir>/<UTC time>-<pid>-<counter>.eml`, and one line per message goes to stdout, without any
address in it. Failure simulation answers RCPT TO (or DATA, with `--fail-stage data`) with the given
code: `--fail-first N` for the first N messages of this process, `--always-fail-code` for every one.
With `--fail-stage after-data` the message is kept and the connection dropped instead of the
reply to DATA, as when a connection is lost while the relay's verdict is on its way.
With `--tls-cert/--tls-key` it offers STARTTLS and refuses mail before it; with `--auth` it
refuses mail from a client that has not logged in with that user and password (over TLS only,
when TLS is on). With `--idle-timeout` it closes a connection that sent no command for that
long, without a word, as a relay does with an idle client (default 300 s). The file name also
numbers the SMTP connection the message came on (`...-c<n>.eml`), so a test can see whether a
client reused its connection. With `--maildir-file FILE` the maildir is the directory named
in FILE, read for each message: one sink can serve test after test, each with a maildir of its
own (connections are numbered afresh in each).
It binds to loopback only. It runs as its own process (asyncio) because the services run under
eventlet.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1025
DEFAULT_MAILDIR = "var/mail"
IDENT = "jii-smtp-sink"


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"smtp-sink binds to loopback only, not {host!r}")


def _reply(code: int) -> str:
    kind = "temporary" if 400 <= code < 500 else "permanent"
    return f"{code} {code // 100}.0.0 Simulated {kind} failure ({IDENT})"


class SinkHandler:
    """aiosmtpd handler: optional simulated failures, then one .eml file per message."""

    def __init__(
        self,
        maildir: Path,
        *,
        fail_first: int = 0,
        fail_code: int = 451,
        always_fail_code: int | None = None,
        fail_stage: str = "rcpt",
        out: IO[str] | None = None,
        maildir_file: Path | None = None,
    ) -> None:
        self.maildir = maildir
        self.maildir_file = maildir_file
        self.fail_remaining = fail_first
        self.fail_code = fail_code
        self.always_fail_code = always_fail_code
        self.fail_stage = fail_stage
        self.out = out or sys.stdout
        self.received = 0
        self.connections = 0  # SMTP connections that brought a message, numbered in order

    def _simulated_failure(self, stage: str) -> str | None:
        if stage != self.fail_stage:
            return None
        if self.always_fail_code is not None:
            code = self.always_fail_code
        elif self.fail_remaining > 0:
            self.fail_remaining -= 1
            code = self.fail_code
        else:
            return None
        if stage == "after-data":
            self._say("hanging up instead of answering DATA (simulated)")
        else:
            self._say(f"rejected {stage.upper()} with {code} (simulated)")
        return _reply(code)

    def _say(self, line: str) -> None:
        print(f"smtp-sink: {line}", file=self.out, flush=True)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        failure = self._simulated_failure("rcpt")
        if failure:
            return failure
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        failure = self._simulated_failure("data")
        if failure:
            return failure
        # "after-data": the message is kept, then the connection dropped before the reply, so
        # the client cannot tell whether the relay has it.
        hang_up = self._simulated_failure("after-data") is not None
        self.received += 1
        self._follow_maildir_file()
        if getattr(session, "jii_connection", None) is None:  # its first message
            self.connections += 1
            session.jii_connection = self.connections
        connection = session.jii_connection
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{os.getpid()}-{self.received:06d}-c{connection}.eml"
        raw: bytes = envelope.original_content or b""
        # Write then rename so a reader polling the directory never sees half a message.
        tmp = self.maildir / f".{name}.tmp"
        tmp.write_bytes(raw)
        os.replace(tmp, self.maildir / name)
        self._say(
            f"message {self.received} accepted: {len(raw)} bytes, "
            f"{len(envelope.rcpt_tos)} recipient(s) -> {name}"
        )
        if hang_up:
            server.transport.close()
        return "250 Message accepted for delivery"


    def _follow_maildir_file(self) -> None:
        if self.maildir_file is None:
            return
        maildir = Path(self.maildir_file.read_text().strip())
        if maildir != self.maildir:
            self.maildir, self.connections = maildir, 0


def _security(tls_cert: str | None, tls_key: str | None, auth: str | None) -> dict[str, Any]:
    """aiosmtpd's options for STARTTLS and AUTH, as asked on the command line."""
    options: dict[str, Any] = {}
    if tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls_cert, tls_key)
        options.update(tls_context=context, require_starttls=True)
    if auth:
        user, _, password = auth.partition(":")

        def check(mechanism: str, login: bytes, given: bytes) -> bool:
            return login.decode() == user and given.decode() == password

        options.update(auth_required=True, auth_require_tls=bool(tls_cert),
                       auth_callback=check)
    return options


async def _serve(host: str, port: int, handler: SinkHandler,
                 security: dict[str, Any] | None = None, idle_timeout: float = 300) -> None:
    from aiosmtpd.smtp import SMTP

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        # hostname given so aiosmtpd does not look up the FQDN on every connection.
        lambda: SMTP(handler, hostname="localhost", ident=IDENT, enable_SMTPUTF8=True,
                     timeout=idle_timeout, **(security or {})),
        host=host,
        port=port,
    )
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    handler._say(f"listening on {host}:{port}, writing to {handler.maildir}")
    await stopping.wait()
    server.close()
    await server.wait_closed()


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    maildir: str | os.PathLike[str] = DEFAULT_MAILDIR,
    *,
    fail_first: int = 0,
    fail_code: int = 451,
    always_fail_code: int | None = None,
    fail_stage: str = "rcpt",
    tls_cert: str | None = None,
    tls_key: str | None = None,
    auth: str | None = None,
    maildir_file: str | os.PathLike[str] | None = None,
    idle_timeout: float = 300,
) -> None:
    """Serve in this process until SIGINT/SIGTERM."""
    _check_loopback(host)
    path = Path(maildir)
    path.mkdir(parents=True, exist_ok=True)
    handler = SinkHandler(
        path,
        fail_first=fail_first,
        fail_code=fail_code,
        always_fail_code=always_fail_code,
        fail_stage=fail_stage,
        maildir_file=Path(maildir_file) if maildir_file else None,
    )
    asyncio.run(_serve(host, port, handler, _security(tls_cert, tls_key, auth), idle_timeout))


def _smtp_code(value: str) -> int:
    code = int(value)
    if not 400 <= code < 600:
        raise argparse.ArgumentTypeError("a failure code must be 4xx or 5xx")
    return code


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--maildir", default=DEFAULT_MAILDIR)
    parser.add_argument("--fail-first", type=int, default=0, metavar="N")
    parser.add_argument("--fail-code", type=_smtp_code, default=451)
    parser.add_argument("--always-fail-code", type=_smtp_code, default=None)
    parser.add_argument("--fail-stage", choices=("rcpt", "data", "after-data"),
                        default="rcpt")
    parser.add_argument("--tls-cert", default=None, metavar="FILE")
    parser.add_argument("--tls-key", default=None, metavar="FILE")
    parser.add_argument("--auth", default=None, metavar="USER:PASSWORD")
    parser.add_argument("--maildir-file", default=None, metavar="FILE")
    parser.add_argument("--idle-timeout", type=float, default=300, metavar="SECONDS")
    args = parser.parse_args(argv)
    serve(
        args.host,
        args.port,
        args.maildir,
        fail_first=args.fail_first,
        fail_code=args.fail_code,
        always_fail_code=args.always_fail_code,
        fail_stage=args.fail_stage,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        auth=args.auth,
        maildir_file=args.maildir_file,
        idle_timeout=args.idle_timeout,
    )


def _banner(host: str, port: int) -> bytes | None:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            return sock.recv(512)
    except OSError:
        return None


def start_smtp_sink(
    port: int = DEFAULT_PORT,
    maildir: str | os.PathLike[str] = DEFAULT_MAILDIR,
    *,
    host: str = DEFAULT_HOST,
    fail_first: int = 0,
    fail_code: int = 451,
    always_fail_code: int | None = None,
    fail_stage: str = "rcpt",
    tls_cert: str | None = None,
    tls_key: str | None = None,
    auth: str | None = None,
    maildir_file: str | os.PathLike[str] | None = None,
    idle_timeout: float | None = None,
    log: IO[bytes] | int | None = None,
    timeout: float = 15.0,
) -> subprocess.Popen[bytes]:
    """Start the sink as a subprocess; return once it greets SMTP clients on host:port.

    `log` is where its output goes (a file, `subprocess.DEVNULL`, or None to inherit). Do not pass
    a pipe you never read: the sink prints a line per message and would block once the pipe fills.
    """
    _check_loopback(host)
    cmd = [
        sys.executable, "-m", "servicekit.devtools.smtp_sink",
        "--host", host, "--port", str(port), "--maildir", os.fspath(maildir),
        "--fail-first", str(fail_first), "--fail-code", str(fail_code),
        "--fail-stage", fail_stage,
    ]  # fmt: skip
    if always_fail_code is not None:
        cmd += ["--always-fail-code", str(always_fail_code)]
    if tls_cert:
        cmd += ["--tls-cert", tls_cert, "--tls-key", tls_key or tls_cert]
    if auth:
        cmd += ["--auth", auth]
    if maildir_file:
        cmd += ["--maildir-file", os.fspath(maildir_file)]
    if idle_timeout is not None:
        cmd += ["--idle-timeout", str(idle_timeout)]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"smtp-sink exited with code {proc.returncode} during start-up")
        banner = _banner(host, port)
        # Checking the ident makes sure it is our sink answering, not something else on the port.
        if banner and banner.startswith(b"220") and IDENT.encode() in banner:
            return proc
        if time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"smtp-sink did not answer on {host}:{port} within {timeout}s")
        time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Terminate the sink and wait for it (killing it if it does not stop in time)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


if __name__ == "__main__":
    main()
