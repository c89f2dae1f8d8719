"""`jii migrate`: create each service's database if needed and apply pending migrations."""

from __future__ import annotations

from pathlib import Path

import psycopg
from servicekit.config import database_url
from servicekit.migrations import database_name, migrate

from jii_cli.workspace import (
    DEPLOYABLES,
    CliError,
    check_services,
    repo_root,
    service_config,
    service_dir,
)


def migrate_services(services: list[str] | None = None, root: Path | None = None) -> dict:
    """Migrate each service in turn; returns {service: [applied migration ids]}.

    Stops at the first failure: a later service is not migrated past an earlier one's error, so
    the operator sees one problem at a time.
    """
    root = root or repo_root()
    applied: dict[str, list[str]] = {}
    for service in check_services(services, DEPLOYABLES):
        url = database_url(service_config(service, root))
        try:
            applied[service] = migrate(url, service_dir(service, root) / "migrations")
        except psycopg.OperationalError as exc:
            # Only the database name: the URL may hold a password.
            raise CliError(
                f"{service}: cannot reach database {database_name(url)}: "
                f"{str(exc).strip().splitlines()[0]}"
            ) from exc
        ids = applied[service]
        name = database_name(url)
        if ids:
            print(f"{service}: applied {len(ids)} migration(s) to {name}: {', '.join(ids)}")
        else:
            print(f"{service}: {name} is up to date")
    return applied


def run(args) -> int:
    migrate_services(args.services)
    return 0
