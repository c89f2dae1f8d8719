"""`jii stripe reconcile --since WHEN`: apply the Stripe events no webhook brought.

The donations service does the work (it lists Stripe's events and applies each one it has not
seen, exactly as if its webhook had arrived); this command asks it over RPC and prints what
happened. Running it twice is harmless: every event is applied once.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from jii_cli.broker import service_rpc

DEFAULT_TIMEOUT_SECONDS = 120


def parse_since(value: str) -> int:
    """Unix seconds, or an ISO 8601 date or date-time (UTC when no offset is given)."""
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "use Unix seconds or an ISO date such as 2026-03-01 or 2026-03-01T09:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def run(args: argparse.Namespace) -> int:
    with service_rpc("donations", args.timeout) as donations:
        outcome = donations.reconcile_stripe(args.since)
    if args.json:
        print(json.dumps(outcome))
    else:
        print(f"listed {outcome['listed']} Stripe event(s) since "
              f"{datetime.fromtimestamp(args.since, UTC).isoformat()}; "
              f"applied {len(outcome['applied'])}, failed {len(outcome['failed'])}")
        for event_id in outcome["applied"]:
            print(f"  applied {event_id}")
        for event_id in outcome["failed"]:
            print(f"  failed  {event_id} (retry later)")
    return 1 if outcome["failed"] else 0


def add_parser(commands: argparse._SubParsersAction, handler) -> None:
    stripe = commands.add_parser("stripe", help="Stripe housekeeping")
    stripe_commands = stripe.add_subparsers(dest="stripe_command", required=True,
                                            metavar="COMMAND")
    reconcile = stripe_commands.add_parser(
        "reconcile", help="apply Stripe events the webhook missed",
        description="List Stripe's events since WHEN and have the donations service apply "
                    "any it has not seen. Safe to repeat.")
    reconcile.add_argument("--since", type=parse_since, required=True, metavar="WHEN",
                           help="Unix seconds or ISO date/date-time (UTC)")
    reconcile.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS,
                           metavar="SECONDS")
    reconcile.add_argument("--json", action="store_true", help="print JSON")
    reconcile.set_defaults(handler=handler)
