"""The platform's composition root: which services make it up, how each one's config follows
from a few inputs (databases, broker, secrets, mail relay, Stripe, the public address), and the
order they start in.

`jii dev run` starts them as processes from it (`command`, `environment`: each `nameko run`
reads its config.yml, whose `${VAR}` names come from the file itself); the end-to-end tests and
the benchmarks start them in one process (`configs`, `start_in_process`). So a key added to a
service's config.yml, or a change of start order, is made once, here, for all of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from servicekit.config import config_variables, load_config

# The checkout this module lives in (an editable workspace install).
CHECKOUT = Path(__file__).resolve().parents[3]
LOCALSTRIPE_API_KEY = "sk_test_localstripe"
LOCALSTRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"


@dataclass(frozen=True)
class Service:
    name: str
    class_path: str  # what `nameko run` is given: the class named, so mixins are not taken
    directory: str  # from the checkout's root

    def config_path(self, root: Path = CHECKOUT) -> Path:
        return root / self.directory / "config.yml"

    def migrations(self, root: Path = CHECKOUT) -> Path:
        return root / self.directory / "migrations"

    def service_class(self) -> type:
        module, _, name = self.class_path.partition(":")
        return getattr(importlib.import_module(module), name)


def _backend(name: str) -> Service:
    return Service(name, f"{name}.service:{name.capitalize()}Service", f"services/{name}")


# The services that own a database and publish events, in the order operators think of them.
BACKENDS: tuple[str, ...] = ("donations", "matching", "programs", "notifications")
# Everything deployed on its own: the services and the gateway.
DEPLOYABLES: tuple[str, ...] = (*BACKENDS, "gateway")
SERVICES: dict[str, Service] = {
    **{name: _backend(name) for name in BACKENDS},
    "gateway": Service("gateway", "gateway.service:GatewayService", "gateway"),
}
# notifications first: an event published before its queues are bound would be lost; the
# gateway last, once the services behind it listen.
START_ORDER: tuple[str, ...] = ("notifications", "programs", "matching", "donations", "gateway")


@dataclass(frozen=True)
class Inputs:
    """What differs between one running platform and another. Left out (None, or a service
    missing from `databases`), a key keeps what the service's config.yml gives it."""

    amqp_uri: str | None = None
    databases: Mapping[str, str] = field(default_factory=dict)
    gateway_address: str | None = None  # host:port the gateway listens on
    public_url: str | None = None  # where people reach the site; else http://gateway_address
    smtp_host: str | None = None
    smtp_port: int | None = None
    stripe_base: str | None = None
    stripe_key: str | None = None
    # Keys given to every service whose config.yml declares them: secrets (STAFF_TOKEN_SECRET,
    # PLEDGE_LINK_SECRET, STRIPE_WEBHOOK_SECRET, ...) and any other shared setting.
    secrets: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)

    def site(self) -> str | None:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.gateway_address}" if self.gateway_address else None


def service(name: str) -> Service:
    try:
        return SERVICES[name]
    except KeyError:
        raise KeyError(f"no service {name!r} (known: {', '.join(SERVICES)})") from None


def in_start_order(names: Iterable[str]) -> list[str]:
    wanted = set(names)
    for name in wanted:
        service(name)
    return [name for name in START_ORDER if name in wanted]


@cache
def declared(name: str, root: Path = CHECKOUT) -> dict[str, str]:
    """The keys `name`'s config.yml declares, each with the environment variable it reads."""
    return config_variables(service(name).config_path(root))


def derived(name: str, inputs: Inputs, root: Path = CHECKOUT) -> dict[str, Any]:
    """The config keys of `name` that follow from `inputs` (only those the inputs give)."""
    keys = declared(name, root)
    config: dict[str, Any] = {key: value for key, value in {**inputs.settings,
                                                              **inputs.secrets}.items()
                              if key in keys}
    site = inputs.site()
    given = {
        "AMQP_URI": inputs.amqp_uri,
        "DATABASE_URL": inputs.databases.get(name),
        "WEB_SERVER_ADDRESS": inputs.gateway_address,
        "PUBLIC_SITE_URL": site,
        "PLEDGE_MANAGE_URL": site and f"{site}/pledge",
        "RECEIPT_URL": site and f"{site}/api/receipts",
        "SMTP_HOST": inputs.smtp_host,
        "SMTP_PORT": inputs.smtp_port,
        "STRIPE_API_BASE": inputs.stripe_base,
        "STRIPE_API_KEY": inputs.stripe_key,
    }
    if inputs.stripe_base and inputs.stripe_key == LOCALSTRIPE_API_KEY:
        # The site's pages load localstripe's Stripe.js stand-in from it.
        given["STRIPE_JS_URL"] = f"{inputs.stripe_base.rstrip('/')}/js.stripe.com/v3/"
        given["STRIPE_PUBLISHABLE_KEY"] = LOCALSTRIPE_PUBLISHABLE_KEY
    config.update({key: value for key, value in given.items()
                   if value is not None and key in keys})
    return config


def configs(inputs: Inputs, names: Iterable[str] = START_ORDER,
            base: Mapping[str, Any] | None = None,
            overrides: Mapping[str, Mapping[str, Any]] | None = None,
            environ: Mapping[str, str] | None = None,
            root: Path = CHECKOUT) -> dict[str, dict[str, Any]]:
    """Each service's whole config, in start order, for running it in this process: its
    config.yml (read with `environ`; by default none, so only the file's defaults count), then
    `base` (given to every service), what follows from `inputs`, and its own `overrides`."""
    overrides = overrides or {}
    unknown = set(overrides) - set(SERVICES)
    if unknown:
        raise KeyError(f"overrides for no service: {sorted(unknown)}")
    return {name: {**load_config(service(name).config_path(root), environ or {}),
                   **(base or {}), **derived(name, inputs, root), **overrides.get(name, {})}
            for name in in_start_order(names)}


def start_in_process(configs: Mapping[str, Mapping[str, Any]],
                     make_runner: Callable[[Mapping[str, Any], type], Any],
                     prepare: Callable[[str, Any], None] | None = None) -> dict[str, Any]:
    """Start each service of `configs` (a runner per service, from `make_runner(config, cls)`),
    in start order; `prepare(name, runner)` runs before each is started."""
    runners = {}
    for name in in_start_order(configs):
        runner = make_runner(configs[name], service(name).service_class())
        if prepare is not None:
            prepare(name, runner)
        runner.start()
        runners[name] = runner
    return runners


def environment(inputs: Inputs, names: Iterable[str] = START_ORDER,
                overrides: Mapping[str, Mapping[str, Any]] | None = None,
                root: Path = CHECKOUT) -> dict[str, str]:
    """The environment variables that give the services started as processes (`command`)
    the same keys `configs` gives them in one process."""
    env: dict[str, str] = {}
    for name in in_start_order(names):
        keys = declared(name, root)
        for key, value in {**derived(name, inputs, root), **(overrides or {}).get(name, {})
                           }.items():
            if key not in keys:
                raise KeyError(f"{name}: its config.yml does not read {key}")
            text = as_variable(value)
            if env.setdefault(keys[key], text) != text:
                raise ValueError(f"{keys[key]} is read by more than one service: "
                                 f"{env[keys[key]]!r} and {text!r}")
    return env


def as_variable(value: Any) -> str:
    """A config value as config.yml reads it back from the environment."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def command(name: str, nameko: str = "nameko") -> list[str]:
    """How a service runs as a process: relative to the checkout's root, as the Procfile says."""
    spec = service(name)
    return [nameko, "run", "--config", f"{spec.directory}/config.yml", spec.class_path]
