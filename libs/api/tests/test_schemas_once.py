"""No request schema is defined twice: every marshmallow schema of the gateway and the services
is compared field by field with every other, and request and query schemas live in `api` only.

Two schemas with the same fields (names and field types) in two modules are one rule kept in
two places, which is how the gateway's and the services' copies drifted before."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict

import pytest
from marshmallow import RAISE, Schema

PACKAGES = ("api", "gateway", "donations", "matching", "programs", "notifications")
# Shapes small enough to repeat by coincidence (an id, a page's next cursor) are not compared.
MIN_FIELDS = 3


def _modules():
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            yield importlib.import_module(info.name)


def _schemas() -> dict[str, type[Schema]]:
    found: dict[str, type[Schema]] = {}
    for module in _modules():
        for value in vars(module).values():
            if (inspect.isclass(value) and issubclass(value, Schema)
                    and value.__module__ == module.__name__):
                found[f"{module.__name__}.{value.__qualname__}"] = value
    return found


def _shape(schema: type[Schema]) -> tuple:
    return tuple(sorted((name, type(field).__name__)
                        for name, field in schema._declared_fields.items()))


@pytest.fixture(scope="module")
def schemas() -> dict[str, type[Schema]]:
    return _schemas()


def test_no_two_modules_define_a_schema_of_the_same_fields(schemas):
    by_shape: dict[tuple, list[str]] = defaultdict(list)
    for name, schema in schemas.items():
        if len(schema._declared_fields) >= MIN_FIELDS:
            by_shape[_shape(schema)].append(name)
    twice = [names for names in by_shape.values()
             if len({name.rsplit(".", 1)[0] for name in names}) > 1]
    assert not twice, f"schemas defined more than once: {twice}"


def test_the_services_keep_no_request_schema_of_their_own(schemas):
    # A strict schema (unknown fields refused) is a request's; the services load `api`'s.
    services = ("donations.", "matching.", "programs.", "notifications.")
    own = sorted(name for name, schema in schemas.items()
                 if name.startswith(services) and schema.opts.unknown == RAISE)
    assert not own, f"request schemas kept by a service: {own}"


def test_the_gateway_keeps_no_copy_of_an_areas_schemas():
    copies = [info.name for info in pkgutil.iter_modules(
        importlib.import_module("gateway.routes").__path__) if info.name.endswith("_schemas")]
    assert not copies, f"gateway modules copying an area's schemas: {copies}"
