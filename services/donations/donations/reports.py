"""Figures for staff and accounting: the donation report, its CSV, and annual statements.

Amounts are net of refunds wherever money is summed (`net`), with `gross` and `refunded` beside
it, so the figures agree with the bank account.
"""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from datetime import date, datetime
from typing import Any

import psycopg
from servicekit.tokyo import tokyo_date, tokyo_day_bounds

from donations import ledger

SOURCES = ("card_one_time", "monthly", "bank_transfer", "grant", "membership_fee")


def _bucket() -> dict[str, int]:
    return {"count": 0, "gross": 0, "refunded": 0, "net": 0}


def _add(bucket: dict[str, int], row: dict) -> None:
    bucket["count"] += 1
    bucket["gross"] += row["amount"]
    bucket["refunded"] += row["refunded_amount"]
    bucket["net"] += row["amount"] - row["refunded_amount"]


def _payments(conn: psycopg.Connection, first: date, last: date) -> list[dict]:
    start, end = tokyo_day_bounds(first, last)
    return conn.execute(
        """
        SELECT p.receipt_number, p.paid_at, p.source, p.tier, p.designation, p.amount,
               p.refunded_amount, p.reference, p.disputed_at, s.name AS payer
        FROM payments p JOIN supporters s ON s.id = p.supporter_id
        WHERE p.paid_at >= %s AND p.paid_at < %s AND p.voided_at IS NULL
        ORDER BY p.paid_at, p.receipt_number
        """,
        (start, end),
    ).fetchall()


def donation_report(conn: psycopg.Connection, first: date, last: date) -> dict[str, Any]:
    rows = _payments(conn, first, last)
    total = _bucket()
    by_month: OrderedDict[str, dict] = OrderedDict()
    by_source = {source: _bucket() for source in SOURCES}
    by_tier: dict[str, dict] = {}
    by_designation: dict[str, dict] = {}
    disputed = 0
    for row in rows:
        _add(total, row)
        _add(by_month.setdefault(tokyo_date(row["paid_at"]).strftime("%Y-%m"), _bucket()), row)
        _add(by_source[row["source"]], row)
        _add(by_tier.setdefault(row["tier"] or "none", _bucket()), row)
        _add(by_designation.setdefault(row["designation"], _bucket()), row)
        disputed += row["disputed_at"] is not None
    start, end = tokyo_day_bounds(first, last)
    membership = by_source["membership_fee"]["net"]
    others = total["net"] - membership
    return {
        "from": first.isoformat(), "to": last.isoformat(), "currency": "jpy",
        "total": total,
        "by_month": [{"month": month, **bucket} for month, bucket in by_month.items()],
        "by_source": by_source,
        "by_tier": dict(sorted(by_tier.items())),
        "by_designation": dict(sorted(by_designation.items())),
        "disputed_payments": disputed,
        **_pledge_figures(conn, start, end),
        "income_mix": {
            "membership_fees": membership, "grants_and_donations": others,
            "membership_fee_share": round(membership / total["net"], 4) if total["net"] else 0.0,
        },
    }


def _pledge_figures(conn: psycopg.Connection, start: datetime, end: datetime) -> dict[str, Any]:
    """Recurring total and partners at the end of the period, churn within it.

    A pledge counts as active at a moment when it had started, was not canceled yet and is
    not sitting in a pause that began before it.
    """
    active_at = """
        started_at IS NOT NULL AND started_at < %(t)s
        AND (canceled_at IS NULL OR canceled_at >= %(t)s)
        AND NOT (status = 'paused' AND paused_at < %(t)s)
    """
    at_end = conn.execute(
        f"SELECT coalesce(sum(amount), 0) AS total, count(DISTINCT supporter_id) AS partners,"
        f" count(*) AS pledges FROM pledges WHERE {active_at}", {"t": end}).fetchone()
    at_start = conn.execute(f"SELECT count(*) AS n FROM pledges WHERE {active_at}",
                            {"t": start}).fetchone()["n"]
    within = "%(start)s <= {0} AND {0} < %(end)s"
    period = {"t": start, "start": start, "end": end}
    row = conn.execute(
        f"""SELECT count(*) FILTER (WHERE {within.format("canceled_at")}) AS canceled,
                   count(*) FILTER (WHERE {within.format("started_at")}) AS started,
                   count(*) FILTER (WHERE ({active_at})
                                       OR {within.format("started_at")}
                                       OR {within.format("canceled_at")}) AS at_risk
            FROM pledges WHERE started_at IS NOT NULL""", period).fetchone()
    return {
        "monthly_recurring_total": int(at_end["total"]),
        "active_partners": at_end["partners"],
        "active_pledges": at_end["pledges"],
        "churn": churn(row["canceled"], at_start, row["started"], row["at_risk"]),
    }


def churn(canceled: int, active_at_start: int, started: int, at_risk: int) -> dict[str, Any]:
    """The share of the period's pledges that were canceled within it.

    The pledges the period could lose (`at_risk`) are those active at its start, started
    during it, or canceled during it (one paused at the start, then canceled): so three pledges
    started and canceled within a month are a churn of 1.0, not 0.0, and the rate is never
    above 1. With no such pledge there is no rate (null), and `reason` says why.
    """
    figures: dict[str, Any] = {"canceled": canceled, "active_at_start": active_at_start,
                               "started": started, "at_risk": at_risk}
    if at_risk == 0:
        return {**figures, "rate": None,
                "reason": "no pledge was active at the start, started or canceled in the period"}
    return {**figures, "rate": round(canceled / at_risk, 4)}


CSV_COLUMNS = ("receipt_number", "paid_on", "source", "tier", "designation", "amount",
               "refunded", "net", "reference", "payer", "disputed")


def donation_csv(conn: psycopg.Connection, first: date, last: date) -> str:
    """One line per payment, for the accountant's spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in _payments(conn, first, last):
        writer.writerow([
            row["receipt_number"], tokyo_date(row["paid_at"]).isoformat(), row["source"],
            _safe_cell(row["tier"] or ""), row["designation"], row["amount"],
            row["refunded_amount"], row["amount"] - row["refunded_amount"],
            _safe_cell(row["reference"] or ""), _safe_cell(row["payer"] or ""),
            "yes" if row["disputed_at"] else "",
        ])
    return out.getvalue()


def annual_statement(conn: psycopg.Connection, supporter_id: str, year: int) -> dict | None:
    """Every gift of one supporter in one calendar year (Tokyo), for a tax-deduction claim."""
    supporter = conn.execute("SELECT * FROM supporters WHERE id = %s",
                             (supporter_id,)).fetchone()
    if supporter is None:
        return None
    start, end = tokyo_day_bounds(date(year, 1, 1), date(year, 12, 31))
    rows = conn.execute(
        "SELECT receipt_number, paid_at, source, amount, refunded_amount FROM payments"
        " WHERE supporter_id = %s AND paid_at >= %s AND paid_at < %s AND voided_at IS NULL"
        " ORDER BY paid_at, receipt_number", (supporter_id, start, end)).fetchall()
    payments = [{
        "receipt_number": r["receipt_number"], "paid_on": tokyo_date(r["paid_at"]).isoformat(),
        "source": r["source"], "amount": r["amount"], "refunded": r["refunded_amount"],
        "net": r["amount"] - r["refunded_amount"],
    } for r in rows]
    return {
        "supporter_id": str(supporter["id"]), "name": supporter["name"], "year": year,
        "donor_kind": supporter["donor_kind"],
        "postal_address": ledger.postal_address(supporter),
        "currency": "jpy", "payments": payments,
        "total": sum(p["net"] for p in payments),
    }


def statement_csv(statement: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("receipt_number", "paid_on", "source", "amount", "refunded", "net"))
    for p in statement["payments"]:
        writer.writerow((p["receipt_number"], p["paid_on"], p["source"], p["amount"],
                         p["refunded"], p["net"]))
    writer.writerow(("total", "", "", "", "", statement["total"]))
    return out.getvalue()


# A cell starting with one of these runs as a formula when the CSV is opened in a spreadsheet
# (OWASP's list: tab and carriage return too, which some spreadsheets skip before the formula).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(text: str) -> str:
    """Free text (names, bank references, tiers as staff typed them) neutralised: a leading
    apostrophe makes the spreadsheet show the text as it is."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
