"""Readers for the deployment files (compose, Dockerfiles, manifests, broker definitions), so
tests/test_deploy_config.py can compare them with the code they deploy."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S_BASE = DEPLOY / "k8s" / "base"
# `${VAR:default}` as nameko's config loader reads it (servicekit.config).
CONFIG_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")
# `${VAR:-default}` as docker compose interpolates it.
COMPOSE_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def services() -> list[str]:
    """Every deployable: each directory under services/ with a config.yml, and the gateway."""
    found = sorted(path.parent.name for path in (ROOT / "services").glob("*/config.yml"))
    return [*found, "gateway"]


def service_dir(name: str) -> Path:
    return ROOT / "gateway" if name == "gateway" else ROOT / "services" / name


def config_vars(name: str) -> set[str]:
    return set(CONFIG_VAR.findall((service_dir(name) / "config.yml").read_text()))


@cache
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def compose_env(name: str) -> dict[str, str]:
    """A compose service's environment as the container gets it, with no variables set in the
    shell (so `${VAR:-default}` gives its default)."""
    env = compose()["services"][name].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: COMPOSE_VAR.sub(lambda m: m.group(2) or "", str(value))
            for key, value in env.items()}


@cache
def k8s_base() -> list[dict]:
    """Every resource the base kustomization lists, in order."""
    kustomization = yaml.safe_load((K8S_BASE / "kustomization.yaml").read_text())
    docs = []
    for resource in kustomization["resources"]:
        docs += [doc for doc in yaml.safe_load_all((K8S_BASE / resource).read_text()) if doc]
    return docs


def k8s(kind: str, name: str) -> dict:
    matches = [doc for doc in k8s_base()
               if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert len(matches) == 1, f"{len(matches)} {kind} named {name} in deploy/k8s/base"
    return matches[0]


def container_env_names(deployment: dict) -> set[str]:
    """Variables a Deployment's main container gets: its env, and the keys of its ConfigMaps."""
    [container] = [c for c in deployment["spec"]["template"]["spec"]["containers"]
                   if c["name"] == deployment["metadata"]["name"]]
    names = {item["name"] for item in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names |= set(k8s("ConfigMap", source["configMapRef"]["name"])["data"])
    return names


@cache
def definitions(file: str = "definitions.json") -> dict:
    return json.loads((DEPLOY / "rabbitmq" / file).read_text())


def permissions(user: str) -> dict[str, re.Pattern]:
    [entry] = [p for p in definitions()["permissions"] if p["user"] == user]
    return {kind: re.compile(entry[kind]) for kind in ("configure", "write", "read")}


def rabbit_password_matches(password_hash: str, password: str) -> bool:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt(4) + sha256(salt + password))."""
    raw = base64.b64decode(password_hash)
    salt, digest = raw[:4], raw[4:]
    return hashlib.sha256(salt + password.encode()).digest() == digest


def consumed_sources(name: str) -> set[str]:
    """The services whose events `name` consumes, from its `@consume_event("src", ...)` lines."""
    pattern = re.compile(r"""@(?:consume_event|event_handler)\(\s*["']([a-z_]+)["']""")
    package = service_dir(name) / name
    return {src for path in package.rglob("*.py") for src in pattern.findall(path.read_text())}


def gateway_routes() -> set[tuple[str, str]]:
    """(method, path) of every `@http(...)` in the gateway's source."""
    pattern = re.compile(r"""@http\(\s*["']([A-Z,]+)["']\s*,\s*["']([^"']+)["']""")
    return {(method, path) for source in (ROOT / "gateway" / "gateway").rglob("*.py")
            for method, path in pattern.findall(source.read_text())}
