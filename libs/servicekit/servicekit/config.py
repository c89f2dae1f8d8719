"""Service configuration: Nameko `config.yml` files with `${VAR:default}` substitution.

Every service reads its database and broker from the same keys, so operators set the same
environment variables everywhere: `DATABASE_URL` and `AMQP_URI`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_RETRY_DELAYS_MS = (1_000, 5_000, 30_000, 120_000)


def _config_loader() -> type[yaml.SafeLoader]:
    """A YAML loader that substitutes `${VAR:default}` like nameko's, on a class of its own.

    nameko's `setup_yaml_parser` registers its resolver on `yaml.SafeLoader` itself, which makes
    every later `yaml.safe_load` in the process rewrite `${...}` text (docker compose files
    included); a subclass keeps that to config files.
    """
    from functools import partial

    from nameko.cli.main import IMPLICIT_ENV_VAR_MATCHER, env_var_constructor

    class ConfigLoader(yaml.SafeLoader):
        pass

    ConfigLoader.add_constructor("!env_var", env_var_constructor)
    ConfigLoader.add_constructor("!raw_env_var", partial(env_var_constructor, raw=True))
    ConfigLoader.add_implicit_resolver("!env_var", IMPLICIT_ENV_VAR_MATCHER, None)
    return ConfigLoader


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a config.yml the way `nameko run --config` does, environment variables included."""
    with open(path) as handle:
        return yaml.load(handle, Loader=_config_loader()) or {}  # noqa: S506 - a SafeLoader


def database_url(config: dict[str, Any]) -> str:
    try:
        return config["DATABASE_URL"]
    except KeyError:
        raise RuntimeError("config has no DATABASE_URL") from None


def amqp_uri(config: dict[str, Any]) -> str:
    return config.get("AMQP_URI") or DEFAULT_AMQP_URI


def retry_delays_ms(config: dict[str, Any]) -> tuple[int, ...]:
    """Delays before each retry of a failed event handler; after the last, it is dead-lettered."""
    raw = config.get("EVENT_RETRY_DELAYS_MS", DEFAULT_RETRY_DELAYS_MS)
    if isinstance(raw, str):
        raw = [part for part in raw.replace(",", " ").split() if part]
    delays = tuple(int(value) for value in raw)
    if any(delay <= 0 for delay in delays):
        raise RuntimeError("EVENT_RETRY_DELAYS_MS must be positive milliseconds")
    return delays
