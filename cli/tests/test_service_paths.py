"""What `make run`, the Procfile and the images give `nameko run` names exactly one service."""

import pytest
from jii_cli.workspace import SERVICES, service_class_path
from nameko.cli.run import import_service


@pytest.mark.parametrize("service", [*SERVICES, "gateway"])
def test_each_run_path_names_exactly_its_service(service):
    [service_cls] = import_service(service_class_path(service))
    assert service_cls.name == service


def test_procfile_runs_each_service_by_its_class():
    from jii_cli.workspace import repo_root

    procfile = (repo_root() / "Procfile").read_text()
    for service in [*SERVICES, "gateway"]:
        assert service_class_path(service) in procfile


@pytest.mark.parametrize("service", [*SERVICES, "gateway"])
def test_a_service_module_alone_also_names_exactly_its_service(service):
    # systemd's jii-service@.service runs `nameko run <name>.service`: shared mixins must not
    # be taken for services of their own
    [service_cls] = import_service(f"{service}.service")
    assert service_cls.name == service
