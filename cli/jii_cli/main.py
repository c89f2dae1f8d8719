"""The `jii` command for JII staff and operators: argument parsing and dispatch.

Each subcommand lives in its own module; this one only wires them to the command line and
turns their failures into one clear line and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable

import psycopg

from jii_cli.broker import BROKER_ERRORS
from jii_cli.workspace import SERVICES, CliError

SERVICE_LIST = ", ".join(SERVICES)


def _positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jii", description="Tools for JII staff and operators.",
        epilog="Configuration comes from the environment, as for the services "
               "(AMQP_URI, <SERVICE>_DATABASE_URL, ...); JII_ROOT names the checkout.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    migrate = commands.add_parser(
        "migrate", help="create databases if needed and apply pending migrations",
        description=f"Migrate each service's database (default: all of {SERVICE_LIST}).")
    migrate.add_argument("services", nargs="*", metavar="SERVICE")
    migrate.set_defaults(handler=_lazy("migrate"))

    outbox = commands.add_parser("outbox", help="the transactional outbox of each service")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True,
                                            metavar="COMMAND")
    status = outbox_commands.add_parser(
        "status", help="backlog size and age per service",
        description="Pending events, age of the oldest, unrouted and published counts.")
    status.add_argument("services", nargs="*", metavar="SERVICE")
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    status.set_defaults(handler=_lazy("outbox"))

    events = commands.add_parser("events", help="watch the events the services publish")
    events_commands = events.add_subparsers(dest="events_command", required=True,
                                            metavar="COMMAND")
    tail = events_commands.add_parser(
        "tail", help="print events live, one JSON envelope per line",
        description="Bind a private queue to every <service>.events exchange and print each "
                    "event as it is published. Events contain personal data: handle the "
                    "output accordingly.")
    tail.add_argument("--type", dest="types", action="append", metavar="TYPE",
                      help="only this event type, or a glob such as 'payment_*' (repeatable)")
    tail.add_argument("--source", dest="sources", action="append", metavar="SERVICE",
                      help=f"only events from this service, or a glob (repeatable; "
                           f"{SERVICE_LIST})")
    tail.add_argument("--count", type=_positive_int, help="stop after N events")
    tail.add_argument("--timeout", type=_positive_float, metavar="SECONDS",
                      help="stop after this long (exit 1 if --count was not reached)")
    tail.set_defaults(handler=_lazy("events"))

    dlq = commands.add_parser("dlq", help="dead-lettered events of a service")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True, metavar="COMMAND")
    dlq_list = dlq_commands.add_parser(
        "list", help="list parked events without removing them",
        description="Index, message id, type, handler queue, time and error of each parked "
                    "event. Nothing is consumed.")
    dlq_list.add_argument("services", nargs="*", metavar="SERVICE")
    dlq_show = dlq_commands.add_parser(
        "show", help="print one parked event in full (envelope and error)")
    dlq_show.add_argument("service", metavar="SERVICE")
    dlq_show.add_argument("ref", metavar="INDEX|MESSAGE_ID")
    dlq_replay = dlq_commands.add_parser(
        "replay", help="send parked events back to the queue they failed on",
        description="Republish to the handler queue with the attempt count reset, then remove "
                    "them from the dead-letter queue.")
    dlq_replay.add_argument("service", metavar="SERVICE")
    dlq_replay.add_argument("refs", nargs="*", metavar="INDEX|MESSAGE_ID")
    dlq_replay.add_argument("--all", action="store_true", help="replay every parked event")
    dlq_purge = dlq_commands.add_parser("purge", help="delete every parked event of a service")
    dlq_purge.add_argument("service", metavar="SERVICE")
    dlq_purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    for sub in (dlq_list, dlq_show, dlq_replay, dlq_purge):
        sub.set_defaults(handler=_lazy("dlq"))

    staff = commands.add_parser("staff", help="staff accounts (the gateway's database)")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    staff_add = staff_commands.add_parser("add", help="create a staff account")
    staff_add.add_argument("email")
    staff_add.add_argument("--role", required=True, choices=["admin", "staff", "consultant"],
                           help="admin, staff or consultant")
    staff_add.add_argument("--password-stdin", action="store_true",
                           help="read the password from the first line of standard input")
    staff_add.set_defaults(handler=_lazy("staff"))

    mail = commands.add_parser("mail", help="e-mail sent by the notifications service")
    mail_commands = mail.add_subparsers(dest="mail_command", required=True, metavar="COMMAND")
    mail_log = mail_commands.add_parser(
        "log", help="the delivery log for one address or one event",
        description="Every message notifications sent, failed or suppressed, newest first.")
    mail_who = mail_log.add_mutually_exclusive_group(required=True)
    mail_who.add_argument("--email", metavar="ADDRESS")
    mail_who.add_argument("--event", metavar="EVENT_ID")
    mail_who.add_argument(
        "--unknown", action="store_true",
        help="every message whose attempt was cut short: check the relay's log for its"
             " message_id before resending by hand")
    mail_log.add_argument("--limit", type=_positive_int, default=200)
    mail_log.add_argument("--json", action="store_true", help="print JSON instead of a table")
    mail_log.set_defaults(handler=_lazy("mail"))

    dev = commands.add_parser("dev", help="local development")
    dev_commands = dev.add_subparsers(dest="dev_command", required=True, metavar="COMMAND")
    dev_run = dev_commands.add_parser(
        "run", help="run the whole platform on this machine (what `make run` does)")
    dev_run.set_defaults(handler=_lazy("devrun"))
    dev_setup = dev_commands.add_parser(
        "setup", help="make this machine ready for the tests: packages, PostgreSQL, RabbitMQ",
        description="Install the Debian packages in deploy/system-packages.txt that are "
                    "missing, start PostgreSQL and RabbitMQ if they are installed but stopped "
                    "(or in containers with docker compose where they are not installed), "
                    "enable RabbitMQ's management API; or say exactly what to run. "
                    "What `make test` and `.ci/run` run first.")
    dev_setup.set_defaults(handler=_lazy("devsetup"))
    card = dev_commands.add_parser(
        "card", help="print a new PaymentMethod id for a test card on localstripe")
    card.add_argument("--number", default="4242424242424242",
                      help="test card number (default: 4242 4242 4242 4242, always succeeds)")
    card.add_argument("--api-base", help="localstripe URL (default: $STRIPE_API_BASE or "
                                         "http://127.0.0.1:$LOCALSTRIPE_PORT)")
    card.set_defaults(handler=_lazy("devcard"))

    from jii_cli.stripe import add_parser as add_stripe_parser

    add_stripe_parser(commands, _lazy("stripe"))
    from jii_cli.receipts import add_parser as add_receipts_parser

    add_receipts_parser(commands, _lazy("receipts"))
    return parser


def _lazy(module: str) -> Callable[[argparse.Namespace], int]:
    """Import a subcommand's module only when it runs, so `jii --help` stays quick."""

    def handler(args: argparse.Namespace) -> int:
        from importlib import import_module

        return import_module(f"jii_cli.{module}").run(args)

    return handler


def main(argv: list[str] | None = None) -> int:
    """Run `jii` with `argv` (default: the command line); returns the exit code."""
    # Library deprecation notices (nameko's pkg_resources, eventlet) are not the operator's
    # business; they would bury the one line that matters.
    warnings.filterwarnings("ignore", message=r"pkg_resources is deprecated")
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CliError as exc:
        print(f"jii: {exc}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as exc:
        print(f"jii: database error: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    except BROKER_ERRORS as exc:
        print(f"jii: broker unreachable or refused: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
