"""Nameko finds a service's extensions without reading every attribute of every extension.

To build a container, Nameko binds each entrypoint and dependency, and walks the sub-extensions
of each (`Extension.bind`, `iter_extensions`) with `inspect.getmembers`. That reads every name
`dir()` lists, properties included, on every extension: for the gateway's 111 routes and their
servers, consumers and proxies, about a third of the CPU a container takes to build, paid at
every container a test starts.

Extensions are declared as attributes (of an extension's class, or set on the instance as
`bind` does), never computed, so the attributes that hold one are found in the instance's and
its classes' `__dict__`s alone. Here `nameko.extensions` gets an `inspect` whose `getmembers`
does that for the `is_extension` question it asks, and asks the real `inspect` for anything
else. `tests/test_discovery.py` holds it to Nameko's own answer for every service of the
platform. Imported by `servicekit.rpc` and `servicekit.events.consumer`, as `settling` is.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

from nameko import extensions
from nameko.extensions import Extension


def extension_members(obj: object) -> list[tuple[str, Extension]]:
    """What `inspect.getmembers(obj, is_extension)` answers, from `__dict__`s alone: the
    (name, extension) pairs of `obj`'s attributes, sorted by name."""
    names = {name for name, value in getattr(obj, "__dict__", {}).items()
             if isinstance(value, Extension)}
    for klass in type(obj).__mro__:
        names.update(name for name, value in vars(klass).items() if isinstance(value, Extension))
    members = [(name, getattr(obj, name)) for name in sorted(names)]
    return [(name, value) for name, value in members if isinstance(value, Extension)]


def _getmembers(obj: object, predicate: Callable[[Any], bool] | None = None) -> list:
    if predicate is extensions.is_extension:
        return extension_members(obj)
    return inspect.getmembers(obj, predicate)


class _Inspect(types.ModuleType):
    """`inspect`, but with the `getmembers` above."""

    getmembers = staticmethod(_getmembers)

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)


extensions.inspect = _Inspect("inspect")
