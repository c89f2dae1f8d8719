"""A database or broker away for a while is a 503 the caller may retry, never a dead process
nor a 500 (DESIGN §9)."""

import pytest
from servicekit.db import connect
from servicekit.testing import wait_until


@pytest.mark.slow
def test_private_postgres_can_be_stopped_and_started_again(private_postgres):
    with connect(private_postgres.url + "/postgres") as conn:
        assert conn.execute("SELECT 1 AS one").fetchone()["one"] == 1
    private_postgres.stop()
    with pytest.raises(Exception):
        connect(private_postgres.url + "/postgres", connect_timeout=2)
    private_postgres.start()
    wait_until(lambda: connect(private_postgres.url + "/postgres").close() or True)
