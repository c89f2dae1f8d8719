"""`jii receipts year-end --year YEAR`: send the year-end receipt e-mails of a tax year.

The donations service does the work in the background (it issues each supporter's annual
receipt and writes one e-mail event per supporter, in one transaction each); this command
starts it over RPC and, unless `--no-wait`, follows its progress until every supporter of the
year has been written to. Running it again after an interruption only sends what is still
due: nobody gets the e-mail twice.
"""

from __future__ import annotations

import argparse
import getpass
import json
import time

from jii_cli.broker import service_rpc
from jii_cli.workspace import CliError

DEFAULT_TIMEOUT_SECONDS = 3600
POLL_SECONDS = 2.0


def run(args: argparse.Namespace) -> int:
    # Operators with broker access act as admin; the service records who ran it.
    context = {"staff_subject": f"cli:{getpass.getuser()}", "staff_role": "admin"}
    with service_rpc("donations", 30, context) as donations:
        progress = donations.start_year_end_run({"year": args.year})
        _show(progress, args.json)
        deadline = time.monotonic() + args.timeout
        while args.wait and progress["remaining"] > 0:
            if time.monotonic() > deadline:
                raise CliError(f"still {progress['remaining']} supporter(s) to go after "
                               f"{args.timeout:.0f} s; run the command again to go on")
            time.sleep(POLL_SECONDS)
            progress = donations.year_end_progress(args.year)
            _show(progress, args.json)
    return 0


def _show(progress: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(progress), flush=True)
    else:
        print(f"{progress['year']}: {progress['sent']} of {progress['supporters']} supporter(s)"
              f" e-mailed, {progress['remaining']} to go", flush=True)


def add_parser(commands: argparse._SubParsersAction, handler) -> None:
    receipts = commands.add_parser("receipts", help="tax receipts")
    receipt_commands = receipts.add_subparsers(dest="receipts_command", required=True,
                                               metavar="COMMAND")
    year_end = receipt_commands.add_parser(
        "year-end", help="send every supporter their receipts for a finished tax year",
        description="Issue each supporter's annual receipt for YEAR and e-mail them their "
                    "receipts, once each. Safe to repeat after an interruption.")
    year_end.add_argument("--year", type=int, required=True)
    year_end.add_argument("--no-wait", dest="wait", action="store_false",
                          help="start the run and return at once")
    year_end.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS,
                          metavar="SECONDS", help="how long to follow the run")
    year_end.add_argument("--json", action="store_true", help="print JSON lines")
    year_end.set_defaults(handler=handler)
