"""Where the repository is and what lives in it: the services, their configs, their migrations."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from servicekit import platform
from servicekit.config import DEFAULT_AMQP_URI
from servicekit.config import load_config as _load_config

# The services that own a database and publish events, in the order operators think of them;
# with the gateway, everything deployed on its own (servicekit.platform knows them).
SERVICES: tuple[str, ...] = platform.BACKENDS
DEPLOYABLES: tuple[str, ...] = platform.DEPLOYABLES


def service_class_path(service: str) -> str:
    """What `nameko run` is given: the class named, so imported mixins are never taken for
    services of their own."""
    return platform.service(service).class_path


class CliError(Exception):
    """A failure to report in one clear line and exit non-zero (no traceback for operators)."""


def _is_root(path: Path) -> bool:
    return (path / "services").is_dir() and (path / "pyproject.toml").is_file()


def repo_root() -> Path:
    """The checkout to work on: $JII_ROOT, else the nearest parent of the cwd that looks like one,
    else the checkout this package was installed from (an editable workspace install)."""
    env = os.environ.get("JII_ROOT")
    if env:
        path = Path(env).expanduser().resolve()
        if not _is_root(path):
            raise CliError(f"JII_ROOT={env} has no services/ and pyproject.toml")
        return path
    cwd = Path.cwd().resolve()
    for candidate in (cwd, *cwd.parents):
        if _is_root(candidate):
            return candidate
    here = Path(__file__).resolve()
    for candidate in here.parents:
        if _is_root(candidate):
            return candidate
    raise CliError(
        "cannot find the JII checkout: run from inside it or set JII_ROOT=/path/to/checkout"
    )


def load_config(path: Path) -> dict[str, Any]:
    """A config.yml read as `nameko run --config` reads it, environment variables included."""
    with warnings.catch_warnings():
        # nameko's config loader imports pkg_resources, deprecated by setuptools; not ours to fix
        warnings.filterwarnings("ignore", message=r"pkg_resources is deprecated")
        return _load_config(path)


def service_dir(service: str, root: Path | None = None) -> Path:
    return (root or repo_root()) / platform.service(service).directory


def service_config(service: str, root: Path | None = None) -> dict[str, Any]:
    """The service's config.yml as `nameko run` would see it, environment variables included."""
    path = service_dir(service, root) / "config.yml"
    if not path.is_file():
        raise CliError(f"{service}: no config at {path}")
    return load_config(path)


def amqp_uri() -> str:
    """The broker for staff tools: $AMQP_URI, as for every service, else the local default."""
    return os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI


def check_services(names: list[str] | None, known: tuple[str, ...] | None = None) -> list[str]:
    """The services named (all `known` when none), refusing a name that is not one of ours."""
    known = known or SERVICES
    if not names:
        return list(known)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise CliError(f"unknown service {', '.join(unknown)} (known: {', '.join(known)})")
    return list(dict.fromkeys(names))
