"""Domain modules raise domain errors and entrypoints map them, in every service alike: no
module of a service's package but its entrypoint modules (`service.py`, `*_entrypoints.py`)
imports `servicekit.errors`, the classes that cross the wire.

A domain module raises `servicekit.domain` errors (which every RPC entrypoint answers as their
servicekit errors) or exceptions of its own that an entrypoint maps, so it can be read and
tested without Nameko or the gateway's statuses in mind."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[3] / "services"
WIRE = "servicekit.errors"


def _packages() -> list[Path]:
    return sorted(path.parent for path in SERVICES.glob("*/*/__init__.py")
                  if path.parent.name not in ("tests", "migrations"))


def _is_entrypoint_module(path: Path) -> bool:
    return path.name == "service.py" or path.stem.endswith("_entrypoints")


def _imports_the_wire(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
                alias.name == WIRE or alias.name.startswith(WIRE + ".") for alias in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == WIRE or node.module.startswith(WIRE + "."):
                return True
            if node.module == "servicekit" and any(a.name == "errors" for a in node.names):
                return True
    return False


@pytest.mark.parametrize("package", _packages(), ids=lambda path: path.name)
def test_only_a_services_entrypoint_modules_import_the_wire_errors(package):
    modules = sorted(package.rglob("*.py"))
    assert any(_is_entrypoint_module(path) for path in modules), "no entrypoint module found"
    domain = [path for path in modules if not _is_entrypoint_module(path)]
    assert domain, "a package of entrypoints only: the check would prove nothing"
    strays = [str(path.relative_to(SERVICES)) for path in domain
              if _imports_the_wire(ast.parse(path.read_text(), str(path)))]
    assert strays == [], f"domain modules importing {WIRE}; raise servicekit.domain: {strays}"


def test_every_service_is_checked():
    assert {path.name for path in _packages()} == {
        "donations", "matching", "notifications", "programs"}
