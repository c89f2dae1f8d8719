# Nameko no longer monkey-patches under plain pytest; it must happen before anything imports
# sockets or threads, so it is the first thing here.
import eventlet

eventlet.monkey_patch()

pytest_plugins = ["servicekit.testing"]


import os  # noqa: E402

import pytest  # noqa: E402
from gateway.accounts import CHEAP_HASHES_VARIABLE  # noqa: E402

# Staff passwords are hashed with argon2's profile for tests (gateway.accounts says why); set
# here, before pytest-xdist starts its workers, so they and every process a test starts have it.
os.environ.setdefault(CHEAP_HASHES_VARIABLE, "1")


@pytest.fixture
def gateway_database(make_database) -> str:
    """A fresh database for the gateway's own tables (staff accounts)."""
    from pathlib import Path

    return make_database("gateway", Path(__file__).parent / "gateway" / "migrations")
