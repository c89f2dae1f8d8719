"""What a parallel test run needs of PostgreSQL: how many processes `make test` runs, the
connections they take, and whether the run starts a server of its own. Read by the set-up
(`jii dev setup`, for the machine's server) and by the tests (`servicekit.testing`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# Each test worker may run a whole platform at once: five services with their connection
# pools, outbox relays and the test's own queries.
CONNECTIONS_PER_WORKER = 60
CONNECTIONS_SPARE = 40  # psql, the jii command, a second person's run


def worker_count(environ: Mapping[str, str]) -> int:
    """How many test processes `make test` runs: JII_TEST_WORKERS, else two per CPU."""
    configured = environ.get("JII_TEST_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return 2 * (os.cpu_count() or 1)


def connections_needed(workers: int) -> int:
    return workers * CONNECTIONS_PER_WORKER + CONNECTIONS_SPARE


def postgres_programs(environ: Mapping[str, str],
                      installed_under: Path = Path("/usr/lib/postgresql")) -> Path:
    """Where PostgreSQL's server programs (initdb, pg_ctl) are: JII_TEST_PG_BIN, else Debian's
    place for the newest PostgreSQL installed (15 when none is)."""
    if "JII_TEST_PG_BIN" in environ:
        return Path(environ["JII_TEST_PG_BIN"])
    installed = [path.parent for path in installed_under.glob("*/bin/initdb")
                 if path.parent.parent.name.isdigit()]
    if not installed:
        return installed_under / "15" / "bin"
    return max(installed, key=lambda folder: int(folder.parent.name))


def run_has_own_postgres(environ: Mapping[str, str]) -> bool:
    """Whether a test run starts a PostgreSQL server of its own (`servicekit.testing`): unless
    JII_TEST_PG_URL names a server, wherever PostgreSQL's programs are installed."""
    return "JII_TEST_PG_URL" not in environ and (postgres_programs(environ) / "initdb").exists()
