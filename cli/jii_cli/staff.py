"""`jii staff add`: create a staff account in the gateway's database."""

from __future__ import annotations

import getpass
import sys

import psycopg
from servicekit.config import database_url

from jii_cli.workspace import CliError, service_config


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise CliError("the two passwords differ")
    return first


def run(args) -> int:
    from gateway.accounts import add_account, checked_email, checked_role
    from servicekit.db import connect

    try:  # before the password is asked for, which would be typed for nothing
        checked_email(args.email), checked_role(args.role)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    password = read_password(args.password_stdin)
    url = database_url(service_config("gateway"))
    try:
        with connect(url) as conn:
            account = add_account(conn, args.email, password, args.role)
            conn.commit()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    except psycopg.errors.UniqueViolation:
        raise CliError("an account with that e-mail already exists") from None
    except psycopg.errors.UndefinedTable:
        raise CliError("the gateway's database is not migrated: run `jii migrate gateway`"
                       ) from None
    print(f"staff account {account.id} created with role {account.role}")
    return 0
