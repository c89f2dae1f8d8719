# Nameko no longer monkey-patches under plain pytest; it must happen before anything imports
# sockets or threads, so it is the first thing here.
import eventlet

eventlet.monkey_patch()

pytest_plugins = ["servicekit.testing"]


import pytest  # noqa: E402


@pytest.fixture
def gateway_database(make_database) -> str:
    """A fresh database for the gateway's own tables (staff accounts)."""
    from pathlib import Path

    return make_database("gateway", Path(__file__).parent / "gateway" / "migrations")
