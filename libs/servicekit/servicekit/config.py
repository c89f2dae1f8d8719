"""Service configuration: Nameko `config.yml` files with `${VAR:default}` substitution.

Every service reads its database and broker from the same keys, so operators set the same
environment variables everywhere: `DATABASE_URL` and `AMQP_URI`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_RETRY_DELAYS_MS = (1_000, 5_000, 30_000, 120_000)
# `KEY: ${VAR:default}` (or `KEY: !raw_env_var "${VAR:default}"`), one key a line.
_KEY_VARIABLE = re.compile(
    r'^([A-Za-z_][A-Za-z0-9_]*):\s*(?:!raw_env_var\s*)?"?\$\{([A-Za-z_][A-Za-z0-9_]*)', re.M)
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")


def _config_loader(environ: Mapping[str, str] | None = None) -> type[yaml.SafeLoader]:
    """A YAML loader that substitutes `${VAR:default}` like nameko's, on a class of its own.

    nameko's `setup_yaml_parser` registers its resolver on `yaml.SafeLoader` itself, which makes
    every later `yaml.safe_load` in the process rewrite `${...}` text (docker compose files
    included); a subclass keeps that to config files.
    """
    from functools import partial

    from nameko.cli.main import IMPLICIT_ENV_VAR_MATCHER, env_var_constructor

    class ConfigLoader(yaml.SafeLoader):
        pass

    constructor = env_var_constructor if environ is None else partial(_from, environ)
    ConfigLoader.add_constructor("!env_var", constructor)
    ConfigLoader.add_constructor("!raw_env_var", partial(constructor, raw=True))
    ConfigLoader.add_implicit_resolver("!env_var", IMPLICIT_ENV_VAR_MATCHER, None)
    return ConfigLoader


def _from(environ: Mapping[str, str], loader: yaml.SafeLoader, node: yaml.Node,
          raw: bool = False) -> Any:
    """nameko's `env_var_constructor`, reading `environ` instead of the process's environment."""
    text = loader.construct_scalar(node)
    value = _VARIABLE.sub(lambda m: environ.get(m[1], m[2] or ""), text)
    return value if raw or value == text else yaml.safe_load(value)


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read a config.yml the way `nameko run --config` does, environment variables included;
    with `environ`, those variables rather than the process's (`{}`: the file's defaults)."""
    with open(path) as handle:
        return yaml.load(handle, Loader=_config_loader(environ)) or {}  # noqa: S506 - a SafeLoader


def config_variables(path: str | Path) -> dict[str, str]:
    """Each key of a config.yml and the environment variable it is read from."""
    return dict(_KEY_VARIABLE.findall(Path(path).read_text()))


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
