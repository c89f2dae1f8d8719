"""Container entry point: apply this service's migrations, then become `nameko run`.

`entrypoint.py` (default) migrates and runs; `entrypoint.py migrate` only migrates (a Kubernetes
init container or a one-off job); anything else is run as a command (`entrypoint.py sh`).
Migrating on every start is safe with several replicas: yoyo holds a lock while it applies.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

APP = Path(__file__).resolve().parent.parent
# nameko's config loader imports pkg_resources; the warning is noise in probe and start logs.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
CONFIG = APP / "config.yml"
MIGRATIONS = APP / "migrations"


def migrate() -> None:
    from servicekit.config import load_config
    from servicekit.migrations import database_name, migrate

    config = load_config(CONFIG)
    url = config.get("DATABASE_URL")
    if not url or not MIGRATIONS.is_dir():
        return  # nothing to migrate
    applied = migrate(url, MIGRATIONS)
    # The database name only: the URL holds a password.
    print(f"migrated {database_name(url)}: {', '.join(applied) or 'up to date'}", flush=True)


def main(argv: list[str]) -> None:
    service = os.environ["JII_SERVICE"]
    command = argv[0] if argv else "run"
    if command in ("run", "migrate") and os.environ.get("MIGRATE_ON_START", "true") != "false":
        migrate()
    if command == "migrate":
        return
    if command != "run":
        os.execvp(argv[0], argv)
    # exec, so nameko is PID 1 and receives SIGTERM itself to stop gracefully.
    # The class is named so the gateway's route mixins are never taken for services.
    service_class = f"{service}.service:{service.capitalize()}Service"
    os.execvp("nameko", ["nameko", "run", "--config", str(CONFIG), service_class])


if __name__ == "__main__":
    main(sys.argv[1:])
