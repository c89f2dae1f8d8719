"""Year-end receipts benchmark: the January run over N supporters, beside rendering alone.

N supporters, each with twelve monthly gifts in last year (Tokyo), get the year-end run as the
service runs it (`donations.yearend.run`): per supporter one transaction that claims the
supporter, issues the annual receipt (content frozen, PDF rendered by the pool of render
processes behind `render_off_hub`, the next supporters' rendered ahead, bytes stored) and
writes the e-mail's event. Printed: the run's time, its rate, the median time between two
e-mails, peak memory (this process, and the largest render process) and the bytes stored,
beside the floor measured in the same run: the median time of the same receipt rendered in a
loop in this process with nothing else (`receipt_pdf.render`).

It also measures what rendering does to the eventlet hub, which serves webhooks in the same
process: a green thread asks to wake every 10 ms while receipts render, inline and then
through `render_off_hub`, and the longest wait past its 10 ms is printed for each.

    .venv/bin/python bench/bench_receipts.py [--supporters 2000] [--floor 30] [--ahead 2]

Needs the local PostgreSQL; makes its own database and removes it. No broker: the events stay
in the outbox, as they would until the relay publishes them.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

from benchkit import PG  # noqa: E402
from donations import receipt_pdf, receipts, yearend  # noqa: E402
from donations.links import ReceiptLinks  # noqa: E402
from servicekit.db import connect  # noqa: E402
from servicekit.events.outbox import OutboxWriter  # noqa: E402
from servicekit.migrations import drop_database, migrate  # noqa: E402
from servicekit.tokyo import today_in_tokyo  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ORG = receipts.Organisation(
    name="特定非営利活動法人 Japan Intercultural Intelligence", address="東京都渋谷区神南1-1-1",
    certification_number="生都管第1234号", certification_date="2020-04-01",
    representative="理事長 山田 太郎", resident_tax_ja="東京都",
    resident_tax_en="the Tokyo Metropolitan Government")
LINKS = ReceiptLinks("bench-receipt-link-secret-0123456789abcdef", "https://jii.example", 2000)


def seed(url: str, supporters: int, year: int) -> None:
    with connect(url) as conn:
        for n in range(supporters):
            sid = str(uuid.uuid4())
            conn.execute(
                "INSERT INTO supporters (id, name, email, locale, postal_code, prefecture,"
                " city, address_line1) VALUES (%s, %s, %s, %s, '153-0061', '東京都', '目黒区',"
                " %s)", (sid, f"支援者 {n}" if n % 3 else f"राम थापा {n}",
                         f"s{n}@example.com", ("ja", "en", "ne")[n % 3], f"中目黒{n}-1"))
            for month in range(1, 13):
                conn.execute(
                    "INSERT INTO payments (id, supporter_id, source, amount, receipt_number,"
                    " paid_at) VALUES (%s, %s, 'monthly', 3000, %s, %s)",
                    (str(uuid.uuid4()), sid, f"R{year}-{n * 12 + month:06d}",
                     f"{year}-{month:02d}-10T03:00:00+00:00"))


class TimedOutbox(OutboxWriter):
    """Notes when each e-mail's event is written: the gaps are the time per supporter."""

    times: list[float]

    def add(self, conn, routing_key, data, **kwargs):
        self.times = getattr(self, "times", [])
        self.times.append(time.perf_counter())
        return super().add(conn, routing_key, data, **kwargs)


def floor(count: int, year: int) -> list[tuple[float, float]]:
    """The wall-clock and CPU times of rendering one annual receipt, alone, in a loop."""
    items = [{"payment_id": str(uuid.uuid4()), "receipt_number": f"R{year}-{m:06d}",
              "paid_on": f"{year}-{m:02d}-10", "source": "monthly", "amount": 3000}
             for m in range(1, 13)]
    content = {"number": f"A{year}-000001", "kind": "annual", "tax_year": year,
               "issued_on": today_in_tokyo().isoformat(), "replaces": None,
               "organisation": ORG.printed(),
               "donor": {"name": "支援者 1", "address": "〒153-0061 東京都目黒区中目黒1-1",
                         "kind": "person"}, "items": items, "total": 36000}
    receipt_pdf.render(content)  # the first one loads Pango and the fonts
    times = []
    for _ in range(count):
        started, cpu = time.perf_counter(), time.process_time()
        receipt_pdf.render(content)
        times.append((time.perf_counter() - started, time.process_time() - cpu))
    return times


def render_processes_peak_mib() -> list[int]:
    """The peak resident memory (VmHWM) of each running child of this process, in MiB."""
    peaks = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != os.getpid():
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
        peaks += [int(line.split()[1]) // 1024 for line in status.splitlines()
                  if line.startswith("VmHWM:")]
    return sorted(peaks)


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process, and of its children that have exited."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def hub_wait(render, count: int, content: dict) -> float:
    """The longest a green thread waiting 10 ms waited beyond that while `count` receipts
    rendered through `render`, in ms."""
    lags: list[float] = []
    done = False

    def ticker() -> None:
        while not done:
            asked = time.perf_counter()
            eventlet.sleep(0.01)
            lags.append(time.perf_counter() - asked - 0.01)

    thread = eventlet.spawn(ticker)
    eventlet.sleep(0.05)
    for _ in range(count):
        render(content)
        eventlet.sleep(0)
    done = True
    thread.wait()
    return max(lags) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supporters", type=int, default=2000)
    parser.add_argument("--floor", type=int, default=30, help="renders in the floor loop")
    parser.add_argument("--ahead", type=int, default=2,
                        help="supporters whose receipts render ahead (0: one at a time)")
    args = parser.parse_args()
    year = today_in_tokyo().year - 1
    url = f"{PG}/jii_bench_receipts_{uuid.uuid4().hex[:8]}"
    migrate(url, ROOT / "services/donations/migrations")
    try:
        seed(url, args.supporters, year)
        floor_before = floor(args.floor, year)
        content = {"number": "R2026-000001", "kind": "gift", "tax_year": year,
                   "issued_on": today_in_tokyo().isoformat(), "replaces": None,
                   "organisation": ORG.printed(),
                   "donor": {"name": "राम थापा", "address": "〒153-0061 東京都目黒区",
                             "kind": "person"},
                   "items": [{"payment_id": "x", "receipt_number": "R2026-000001",
                              "paid_on": f"{year}-05-01", "source": "bank_transfer",
                              "amount": 50000}], "total": 50000}
        inline = hub_wait(receipt_pdf.render, 5, content)
        off_hub = hub_wait(receipt_pdf.render_off_hub, 5, content)

        # The run's CPU is counted whole: the render processes' CPU is known once they exit,
        # so those the hub measurement started are stopped first, and the run's after it.
        receipt_pdf.stop_renderers()
        cpu_before = cpu_seconds()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with connect(url) as conn:

            @contextmanager
            def transaction():
                with conn.transaction():
                    yield conn

            outbox = TimedOutbox("donations", None)
            started = time.perf_counter()
            with conn.transaction():
                due = yearend.supporters_to_notify(conn, year)
            counts = yearend.run(transaction, outbox, year, ORG, receipt_pdf.render_off_hub,
                                 LINKS, ahead=args.ahead)
            elapsed = time.perf_counter() - started
            stored = conn.execute(
                "SELECT count(*) AS n, sum(length(pdf)) AS bytes FROM receipt_documents"
            ).fetchone()
            events = conn.execute("SELECT count(*) AS n FROM outbox WHERE routing_key ="
                                  " 'annual_receipts_ready'").fetchone()["n"]
        children_peaks = render_processes_peak_mib()
        receipt_pdf.stop_renderers()
        cpu_after = cpu_seconds()
        # Measured again after the run: the machine is shared, and its load moves.
        floor_times = floor_before + floor(args.floor, year)
        floor_median = statistics.median(wall for wall, _ in floor_times)
        floor_cpu = statistics.median(cpu for _, cpu in floor_times)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        drop_database(url)

    assert counts["sent"] == len(due) == events, (counts, len(due), events)
    rate = len(due) / elapsed
    gaps = [b - a for a, b in itertools.pairwise(outbox.times)]
    print(f"year-end run: {len(due)} supporters in {elapsed:.1f} s = {rate:.2f} supporters/s "
          f"(median {statistics.median(gaps) * 1000:.0f} ms between e-mails, ahead={args.ahead}, "
          f"{receipt_pdf.RENDER_PROCESSES} render processes); "
          f"{events} e-mail events, {stored['n']} PDFs, "
          f"{stored['bytes'] / stored['n'] / 1024:.1f} KiB each")
    print(f"floor (render alone, {args.floor} in a loop before the run and after): "
          f"median {floor_median * 1000:.0f} ms = "
          f"{1 / floor_median:.2f} receipts/s; run/floor = {rate * floor_median:.2f}")
    own_cpu, children_cpu = (after - before for after, before in zip(cpu_after, cpu_before,
                                                                         strict=True))
    per_supporter = (own_cpu + children_cpu) / len(due)
    print(f"CPU: {per_supporter * 1000:.0f} ms per supporter ({own_cpu / len(due) * 1000:.0f} "
          f"ms in this process, {children_cpu / len(due) * 1000:.0f} ms rendering) against "
          f"{floor_cpu * 1000:.0f} ms per render in the floor loop: floor/run = "
          f"{floor_cpu / per_supporter:.2f} in CPU (load on a shared machine moves the clock "
          f"rates, not this)")
    print(f"peak memory: {rss_after / 1024:.0f} MiB after the run "
          f"({rss_before / 1024:.0f} MiB before it); render processes at their peak "
          f"{', '.join(f'{mib} MiB' for mib in children_peaks)}")
    print(f"hub: longest extra wait of a 10 ms sleep while rendering: inline {inline:.0f} ms, "
          f"render_off_hub {off_hub:.0f} ms")


if __name__ == "__main__":
    main()
