"""Mail benchmark: a batch (the monthly impact update to every partner) through a relay that
wants STARTTLS and AUTH, as production's does.

Notifications' mailer sends the batch on one connection (`Mailer.session`); printed beside it
are the same messages with a connection each (`Mailer.send`, what every message cost before),
and the floor: smtplib alone sending the same bytes on one connection, measured in the same run.
Figures are medians over repeats; the ratios are what to watch.

    .venv/bin/python bench/bench_mail.py [--messages 200] [--repeats 3]

Needs openssl on the PATH (for the relay's self-signed certificate); starts its own SMTP sink.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import smtplib  # noqa: E402
import ssl  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

from notifications.mailer import Mailer, SmtpSettings, build_message, delivery_key  # noqa: E402
from notifications.render import render  # noqa: E402
from servicekit.devtools.smtp_sink import start_smtp_sink, stop  # noqa: E402
from servicekit.testing import free_port  # noqa: E402

USER, PASSWORD = "bench", "bench-password"


def messages(settings: SmtpSettings, count: int, run: str) -> list:
    rendered = render("impact_update", "ja", {
        "name": "山田 花子", "month": "2026-04", "residents_supported": 1234,
        "pairings_completed": 12, "spot_requests_done": 37, "children_enrolled": 58,
        "sessions_held": 16, "attendances": 410, "consultations_resolved": 21,
        "yen_raised": 1850000, "unsubscribe_url": "https://www.j-ii.org/api/unsubscribe/x"})
    return [build_message(rendered, to_addr=f"p{i}@example.org", to_name="山田 花子",
                          delivery_key=delivery_key(run, "impact_update", f"p{i}@example.org"),
                          settings=settings) for i in range(count)]


def timed(send_all: Callable[[list], None], batch: list) -> float:
    started = time.perf_counter()
    send_all(batch)
    return len(batch) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cert, key = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        port = free_port()
        sink = start_smtp_sink(port, Path(tmp) / "mail", tls_cert=str(cert), tls_key=str(key),
                               auth=f"{USER}:{PASSWORD}", log=subprocess.DEVNULL)
        settings = SmtpSettings(host="127.0.0.1", port=port, starttls=True, ca_file=str(cert),
                                username=USER, password=PASSWORD, helo_name="localhost",
                                from_addr="info@j-ii.org")
        mailer = Mailer(settings)

        def one_session(batch: list) -> None:
            with mailer.session() as session:
                for message in batch:
                    session.send(message)

        def one_connection_each(batch: list) -> None:
            for message in batch:
                mailer.send(message)

        def floor(batch: list) -> None:
            smtp = smtplib.SMTP("127.0.0.1", port, local_hostname="localhost")
            smtp.starttls(context=ssl.create_default_context(cafile=str(cert)))
            smtp.login(USER, PASSWORD)
            for message in batch:
                smtp.send_message(message)
            smtp.quit()

        results: dict[str, list[float]] = {"session": [], "connection each": [], "floor": []}
        try:
            for run in range(args.repeats):
                batch = messages(settings, args.messages, f"run-{run}")
                results["session"].append(timed(one_session, batch))
                results["connection each"].append(timed(one_connection_each, batch))
                results["floor"].append(timed(floor, batch))
        finally:
            stop(sink)
    rates = {name: statistics.median(values) for name, values in results.items()}
    print(f"mail benchmark: {args.messages} messages over STARTTLS + AUTH, "
          f"median of {args.repeats} runs")
    print(f"{'':16} {'msgs/s':>9} {'vs floor':>9}")
    for name, rate in rates.items():
        print(f"{name:16} {rate:9.1f} {rate / rates['floor']:8.2f}x")


if __name__ == "__main__":
    main()
