"""Nameko, with `servicekit.discovery`, finds in every service of the platform the extensions its
own `inspect.getmembers` walk finds: the same entrypoints, dependencies and sub-extensions, bound
to the same attributes and shared alike."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import servicekit.discovery
from donations.service import DonationsService
from gateway.service import GatewayService
from matching.service import MatchingService
from nameko import extensions
from nameko.containers import ServiceContainer
from notifications.service import NotificationsService
from programs.service import ProgramsService

SERVICES = [GatewayService, DonationsService, MatchingService, NotificationsService,
            ProgramsService]


def described(container: ServiceContainer) -> list[tuple[str, ...]]:
    """Every extension reached from the container's entrypoints and dependencies, as the path of
    attribute names that leads to it, its type and whether it is bound; shared extensions are
    marked by the first path that reached them, so sharing shows too."""
    first_path: dict[int, str] = {}
    rows = []

    def walk(path: str, extension: extensions.Extension) -> None:
        shared = first_path.setdefault(id(extension), path)
        rows.append((path, type(extension).__qualname__, extension.is_bound(), shared))
        for name, sub in inspect.getmembers(extension, extensions.is_extension):
            walk(f"{path}.{name}", sub)

    roots = [(f"entrypoint:{e.method_name}:{type(e).__qualname__}", e)
             for e in container.entrypoints]
    roots += [(f"dependency:{d.attr_name}", d) for d in container.dependencies]
    for path, extension in sorted(roots, key=lambda root: root[0]):
        walk(path, extension)
    return rows


@contextmanager
def nameko_own_inspect() -> Iterator[None]:
    fast = extensions.inspect
    extensions.inspect = inspect
    try:
        yield
    finally:
        extensions.inspect = fast


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_the_extensions_found_are_nameko_own_findings(service):
    config = {"AMQP_URI": "memory://"}
    with nameko_own_inspect():
        expected = ServiceContainer(service, config)
    found = ServiceContainer(service, config)

    assert len(found.extensions) == len(expected.extensions) > 10
    assert described(found) == described(expected)


def test_a_walk_that_missed_one_extension_would_be_told_apart(monkeypatch):
    config = {"AMQP_URI": "memory://"}
    with nameko_own_inspect():
        expected = described(ServiceContainer(GatewayService, config))
    members = servicekit.discovery.extension_members
    monkeypatch.setattr(servicekit.discovery, "extension_members",
                        lambda obj: members(obj)[:-1])

    assert described(ServiceContainer(GatewayService, config)) != expected


def test_only_the_extension_question_is_answered_differently():
    class Holder:
        named = 3

    assert extensions.inspect.getmembers(Holder) == inspect.getmembers(Holder)
    assert extensions.inspect.getcallargs is inspect.getcallargs
