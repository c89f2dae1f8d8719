from pathlib import Path

from nameko.testing.services import entrypoint_hook
from programs.service import ProgramsService

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def test_programs_starts_on_its_own_database_and_answers_a_ping(
    container_factory, service_config, make_database
):
    container = container_factory(ProgramsService,
                                  service_config(make_database("programs", MIGRATIONS)))
    container.start()
    with entrypoint_hook(container, "ping") as ping:
        assert ping() == {"service": "programs", "ok": True}
