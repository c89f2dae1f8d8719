"""What a test run needs of PostgreSQL (servicekit.devtools.parallel_tests)."""

from __future__ import annotations

from pathlib import Path

from servicekit.devtools.parallel_tests import (
    connections_needed,
    postgres_programs,
    run_has_own_postgres,
    worker_count,
)


def _install(root: Path, *versions: str) -> None:
    for version in versions:
        (root / version / "bin").mkdir(parents=True)
        (root / version / "bin" / "initdb").write_text("")


def test_the_newest_installed_postgresql_is_used_unless_one_is_named(tmp_path):
    _install(tmp_path, "9.6", "15", "16")
    (tmp_path / "17" / "bin").mkdir(parents=True)  # a client only: no initdb
    assert postgres_programs({}, tmp_path) == tmp_path / "16" / "bin"
    assert postgres_programs({"JII_TEST_PG_BIN": "/opt/pg/bin"}, tmp_path) == Path("/opt/pg/bin")


def test_a_run_has_its_own_server_only_with_the_programs_and_no_server_named(tmp_path):
    _install(tmp_path, "15")
    programs = {"JII_TEST_PG_BIN": str(tmp_path / "15" / "bin")}
    assert run_has_own_postgres(programs)
    assert not run_has_own_postgres({**programs, "JII_TEST_PG_URL": "postgresql://db:5432"})
    assert not run_has_own_postgres({"JII_TEST_PG_BIN": str(tmp_path / "missing")})


def test_each_worker_gets_its_connections_and_a_spare_is_kept():
    assert worker_count({"JII_TEST_WORKERS": "3"}) == 3
    assert worker_count({"JII_TEST_WORKERS": "none"}) >= 2
    assert connections_needed(3) - connections_needed(2) == 60
    assert connections_needed(1) > 60
