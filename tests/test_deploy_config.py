"""The deployment files agree with the code they deploy (issue 8).

Compose, the Dockerfiles, the Kubernetes manifests, the broker definitions and the database
init script are read and compared with each service's config.yml and source; then each service
is started with the exact environment compose gives it (host names pointed at this machine).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml
from deployfiles import (
    COMPOSE_VAR,
    DEPLOY,
    K8S_BASE,
    ROOT,
    compose,
    compose_env,
    config_vars,
    consumed_sources,
    container_env_names,
    definitions,
    gateway_routes,
    k8s,
    k8s_base,
    permissions,
    rabbit_password_matches,
    service_dir,
    services,
)
from servicekit import platform as wiring

SERVICES = services()
BACKENDS = [name for name in SERVICES if name != "gateway"]
FEED_QUEUE = "evt-feed--gateway"  # gateway.feed.QUEUE_NAME


def test_every_yaml_and_json_file_parses():
    files = [ROOT / "docker-compose.yml", *DEPLOY.rglob("*.y*ml"), *DEPLOY.rglob("*.json")]
    assert len(files) > 10
    for path in files:
        text = path.read_text()
        if path.suffix == ".json":
            json.loads(text)
        else:
            assert [doc for doc in yaml.safe_load_all(text) if doc], path


def test_services_are_discovered():
    assert {"donations", "matching", "programs", "notifications", "gateway"} <= set(SERVICES)


# --- the composition root (servicekit.platform) agrees with the configs and the Procfile -------

# Every input given, so every key the root can derive is derived.
FULL_INPUTS = wiring.Inputs(
    amqp_uri="amqp://jii:secret@127.0.0.1:5672/jii",
    databases={name: f"postgresql://{name}@127.0.0.1:5432/jii_{name}" for name in SERVICES},
    gateway_address="127.0.0.1:8123", public_url="https://www.j-ii.example",
    smtp_host="mail.j-ii.example", smtp_port=587, stripe_base="http://127.0.0.1:8420",
    stripe_key=wiring.LOCALSTRIPE_API_KEY,
    secrets={"STAFF_TOKEN_SECRET": "s" * 40, "PLEDGE_LINK_SECRET": "p" * 40,
             "PAIRING_LINK_SECRET": "m" * 40, "ENROLLMENT_LINK_SECRET": "e" * 40,
             "UNSUBSCRIBE_SECRET": "u" * 40, "STRIPE_WEBHOOK_SECRET": "whsec_x"},
    settings={"LOG_LEVEL": "WARNING", "OUTBOX_SWEEP_SECONDS": 2})


def test_the_composition_root_knows_every_deployable_and_where_it_lives():
    assert set(wiring.DEPLOYABLES) == set(SERVICES) == set(wiring.START_ORDER)
    assert wiring.START_ORDER[0] == "notifications" and wiring.START_ORDER[-1] == "gateway"
    for name in SERVICES:
        spec = wiring.service(name)
        assert ROOT / spec.directory == service_dir(name)
        assert spec.migrations().is_dir() and spec.config_path().is_file()
        assert spec.service_class().name == name


@pytest.mark.parametrize("name", SERVICES)
def test_the_roots_config_of_a_service_has_every_key_its_config_yml_declares(name):
    from servicekit.config import load_config

    config = wiring.configs(FULL_INPUTS, [name])[name]
    declared = set(load_config(service_dir(name) / "config.yml", {}))
    assert set(wiring.declared(name)) == declared, "every key is read from a variable"
    assert declared <= set(config), f"{name}: missing {sorted(declared - set(config))}"
    # and whatever the root derives is a key the service reads from its config.yml, so a
    # service started as a process (`jii dev run`) gets it too
    derived = wiring.derived(name, FULL_INPUTS)
    assert derived and set(derived) <= declared, sorted(set(derived) - declared)
    assert config["DATABASE_URL"] == FULL_INPUTS.databases[name]
    assert config["AMQP_URI"] == FULL_INPUTS.amqp_uri


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_run_as_a_process_reads_what_the_root_gives_it_in_one_process(name):
    from servicekit.config import load_config

    in_process = wiring.configs(FULL_INPUTS, [name])[name]
    as_process = load_config(wiring.service(name).config_path(),
                             wiring.environment(FULL_INPUTS, [name]))
    assert as_process == in_process


def test_the_procfile_starts_each_service_as_the_root_does_in_its_order():
    listed = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            process, command = line.split(":", 1)
            listed[process] = command.split()
    assert [name for name in listed if name in SERVICES] == list(wiring.START_ORDER)
    for name in SERVICES:
        assert listed[name] == wiring.command(name)


@pytest.mark.parametrize("name", SERVICES)
def test_service_has_compose_entry_image_and_deployment(name):
    entry = compose()["services"][name]
    assert entry["build"] == {
        "context": ".", "dockerfile": "deploy/docker/Dockerfile", "network": "host",
        "args": {"SERVICE": name, "PYTHON_IMAGE": "${JII_PYTHON_IMAGE:-python:3.11-slim-bookworm}"}}
    assert entry["image"] == f"jii-{name}:local"
    [container] = k8s("Deployment", name)["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"jii-{name}"
    assert k8s("PodDisruptionBudget", name)
    package = (service_dir(name) / "pyproject.toml").read_text()
    assert f'name = "jii-{name}"' in package, "the Dockerfile installs jii-<SERVICE>"


def test_one_dockerfile_builds_every_service_from_the_lock():
    text = (DEPLOY / "docker" / "Dockerfile").read_text()
    assert not [p for p in ROOT.glob("*/**/Dockerfile")
                if p.parent.name in SERVICES], "one Dockerfile for every service"
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2, "multi-stage"
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in text, "the public image by default"
    assert all(line.startswith("FROM ${PYTHON_IMAGE}") for line in re.findall(
        r"^FROM .*", text, re.M)), "every stage on the chosen base"
    assert 'uv sync --frozen --no-dev --no-editable --package "jii-$SERVICE"' in text
    # Where each service's config and migrations come from, as the Dockerfile spells it.
    assert 'if [ "$SERVICE" = gateway ]; then dir=gateway; else dir="services/$SERVICE"; fi' \
        in text
    for name in SERVICES:
        assert (service_dir(name) / "config.yml").is_file()
    assert "JII_SERVICE=${SERVICE}" in text
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and not user[-1].startswith(("root", "0")), "runs as a non-root user"
    assert re.search(r'^HEALTHCHECK .*\n?.*CMD \["python", "/app/bin/probe.py", "ready"\]',
                     text, re.M)
    assert "--mount" not in text and "# syntax" not in text, "the classic builder works too"
    for copied in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for source in copied.split():
            assert (ROOT / source).exists() or source == ".", source
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "deploy/docker" not in ignored and "uv.lock" not in ignored


def test_every_container_shares_the_host_network_on_loopback():
    for name, entry in compose()["services"].items():
        assert entry["network_mode"] == "host", name
        assert "ports" not in entry, f"{name}: ports mean nothing on the host's network"
        if "extra_hosts" in entry:
            assert all(host.endswith(":127.0.0.1") for host in entry["extra_hosts"]), name


@pytest.mark.parametrize("name", SERVICES)
def test_compose_sets_every_variable_the_config_reads(name):
    missing = config_vars(name) - set(compose_env(name))
    assert not missing, f"{name}: compose does not set {sorted(missing)}"


@pytest.mark.parametrize("name", SERVICES)
def test_manifests_set_every_variable_the_config_reads(name):
    deployment = k8s("Deployment", name)
    missing = config_vars(name) - container_env_names(deployment)
    assert not missing, f"{name}: the Deployment does not set {sorted(missing)}"
    # Secrets are referenced by key, so the key list operators must create is in the manifest.
    secret_keys = {item["valueFrom"]["secretKeyRef"]["key"]
                   for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
                   if "valueFrom" in item}
    assert "AMQP_URI" in secret_keys
    for init in deployment["spec"]["template"]["spec"].get("initContainers", []):
        assert init["args"] == ["migrate"] and init["envFrom"] == \
            deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]


@pytest.mark.parametrize("name", SERVICES)
def test_deployment_is_production_shaped(name):
    deployment = k8s("Deployment", name)
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    assert pod["terminationGracePeriodSeconds"] >= 30
    assert pod["securityContext"]["runAsNonRoot"] is True
    [container] = pod["containers"]
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    assert container["livenessProbe"] and container["readinessProbe"]
    if name != "gateway":
        for probe in ("livenessProbe", "readinessProbe"):
            command = container[probe]["exec"]["command"]
            assert command[:2] == ["python", "/app/bin/probe.py"]
            assert (DEPLOY / "docker" / "probe.py").is_file()
    pdb = k8s("PodDisruptionBudget", name)["spec"]
    assert pdb["selector"]["matchLabels"] == spec["selector"]["matchLabels"]
    assert "maxUnavailable" in pdb, "maxUnavailable never blocks a drain of a 1-replica service"


@pytest.mark.parametrize("name", SERVICES)
def test_a_process_that_dies_is_started_again_by_every_supervisor(name):
    # Broker and database outages are ridden out in-process; anything else that kills a
    # process must not leave it down.
    assert compose()["services"][name]["restart"] in ("always", "unless-stopped")
    pod = k8s("Deployment", name)["spec"]["template"]["spec"]
    assert pod.get("restartPolicy", "Always") == "Always"
    [container] = pod["containers"]
    # Liveness must not depend on the broker or the database, or an outage would restart
    # every pod at once; readiness is the probe that says so.
    if name == "gateway":
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    else:
        assert container["livenessProbe"]["exec"]["command"][-1] == "live"
    unit = "jii-gateway.service" if name == "gateway" else "jii-service@.service"
    text = (DEPLOY / "systemd" / unit).read_text()
    assert "Restart=always" in text and "StartLimitIntervalSec=0" in text


def test_compose_restarts_the_broker_and_the_database_too():
    for name in ("rabbitmq", "postgres"):
        assert compose()["services"][name]["restart"] == "unless-stopped"


@pytest.mark.parametrize("name", ["gateway", "notifications"])
def test_autoscalers(name):
    hpa = k8s("HorizontalPodAutoscaler", name)["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert hpa["maxReplicas"] > hpa["minReplicas"] >= 1


def test_gateway_ports_and_probe_paths_match_its_config_and_routes():
    address = compose_env("gateway")["GATEWAY_ADDRESS"]
    host, port = address.rsplit(":", 1)
    assert host == "127.0.0.1", "on the host's network, loopback only"
    # A pod listens on every interface of its own network, on the same port.
    assert k8s("ConfigMap", "jii-gateway")["data"]["GATEWAY_ADDRESS"] == f"0.0.0.0:{port}"
    [container] = k8s("Deployment", "gateway")["spec"]["template"]["spec"]["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": int(port)}]
    routes = gateway_routes()
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        get = container[probe]["httpGet"]
        assert get["port"] == "http" and ("GET", get["path"]) in routes, probe
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    health = COMPOSE_VAR.sub(lambda m: m.group(2) or "",
                             " ".join(compose()["services"]["gateway"]["healthcheck"]["test"]))
    assert f"127.0.0.1:{port}/healthz" in health and ("GET", "/healthz") in routes
    service = k8s("Service", "gateway")["spec"]
    assert service["ports"][0]["targetPort"] == "http"
    [rule] = k8s("Ingress", "gateway")["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "gateway", "port": {"name": service["ports"][0]["name"]}}
    webhook = [COMPOSE_VAR.sub(lambda m: m.group(2) or "", arg)
               for arg in compose()["services"]["localstripe"]["command"]]
    assert f"http://gateway:{port}/api/webhooks/stripe" in webhook
    assert ("POST", "/api/webhooks/stripe") in routes


def test_manifests_validate_against_the_kubernetes_schemas():
    try:
        import kubernetes_validate
    except ImportError:
        kubernetes_validate = None
    known = {"Deployment", "ConfigMap", "PodDisruptionBudget", "HorizontalPodAutoscaler",
             "Service", "Ingress", "ServiceAccount"}
    for doc in k8s_base():
        assert doc["kind"] in known and doc["apiVersion"] and doc["metadata"]["name"]
        if kubernetes_validate is not None:
            kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
    # What a schema cannot see: every reference points at something that exists.
    names = {(doc["kind"], doc["metadata"]["name"]) for doc in k8s_base()}
    for doc in k8s_base():
        if doc["kind"] == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            assert ("ServiceAccount", pod["serviceAccountName"]) in names
            for source in pod["containers"][0]["envFrom"]:
                assert ("ConfigMap", source["configMapRef"]["name"]) in names
        if doc["kind"] == "HorizontalPodAutoscaler":
            assert ("Deployment", doc["spec"]["scaleTargetRef"]["name"]) in names
    overlay = DEPLOY / "k8s" / "overlays" / "production"
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    assert "../../base" in kustomization["resources"]
    for patch in kustomization["patches"]:
        for doc in yaml.safe_load_all((overlay / patch["path"]).read_text()):
            assert (doc["kind"], doc["metadata"]["name"]) in names, patch
    assert {r["name"] for r in kustomization["replicas"]} == set(SERVICES)
    assert {i["name"] for i in kustomization["images"]} == {f"jii-{n}" for n in SERVICES}


def test_listed_kubernetes_resources_are_every_file():
    listed = set(yaml.safe_load((K8S_BASE / "kustomization.yaml").read_text())["resources"])
    on_disk = {str(p.relative_to(K8S_BASE)) for p in K8S_BASE.rglob("*.yaml")}
    assert on_disk - {"kustomization.yaml"} == listed


def test_broker_definitions_give_each_service_least_privilege():
    defs = definitions()
    [vhost] = defs["vhosts"]
    assert vhost["name"] == "jii" and vhost["default_queue_type"] == "quorum"
    for name in BACKENDS:
        allowed = permissions(name)
        own = [f"{name}.events", f"{name}.dlq", f"rpc-{name}", "nameko-rpc",
               f"evt-donations-payment_succeeded--{name}.handle",
               f"evt-donations-payment_succeeded--{name}.handle.retry.1"]
        for resource in own:
            assert allowed["configure"].match(resource), (name, resource)
        for exchange in (f"{name}.events", "nameko-rpc", "amq.default"):
            assert allowed["write"].match(exchange), (name, exchange)
        for source in consumed_sources(name) | {name}:
            assert allowed["read"].match(f"{source}.events"), (name, source)
        for other in BACKENDS:
            if other != name:
                assert not allowed["write"].match(f"{other}.events"), (name, other)
                assert not allowed["configure"].match(f"rpc-{other}"), (name, other)
                assert not allowed["read"].match(f"evt-x-y--{other}.handle"), (name, other)
        policy = [p for p in defs["policies"] if p["name"] == f"{name}-dead-letters"]
        assert policy and policy[0]["definition"]["dead-letter-routing-key"] == f"{name}.dlq"
        # The retry queues dead-letter back by their own arguments; the policy must skip them.
        pattern = re.compile(policy[0]["pattern"])
        assert pattern.match(f"evt-a-b--{name}.handle")
        assert not pattern.match(f"evt-a-b--{name}.handle.retry.1")
    gateway = permissions("gateway")
    for kind in ("configure", "write", "read"):
        assert gateway[kind].match("nameko-rpc") and gateway[kind].match("rpc.reply-gateway-1")
        assert gateway[kind].match(FEED_QUEUE), kind
        assert not any(gateway[kind].match(f"evt-x-y--{n}.handle") for n in BACKENDS)
    # The staff event feed: one queue bound to every service's exchange, read-only on them.
    for name in BACKENDS:
        assert gateway["read"].match(f"{name}.events") and gateway["configure"].match(
            f"{name}.events"), name
        assert not gateway["write"].match(f"{name}.events"), "the gateway publishes no events"
        assert not gateway["configure"].match(f"rpc-{name}"), name
    from gateway import feed

    assert set(feed.SOURCES) == set(BACKENDS) and feed.QUEUE_NAME == FEED_QUEUE
    for resource in (f"{FEED_QUEUE}.retry.1", "gateway.dlq"):
        assert gateway["configure"].match(resource) and gateway["write"].match(resource)
    assert gateway["write"].match("amq.default")
    policy = [p for p in defs["policies"] if p["name"] == "gateway-dead-letters"]
    assert policy and policy[0]["definition"]["dead-letter-routing-key"] == "gateway.dlq"
    assert re.compile(policy[0]["pattern"]).match(FEED_QUEUE)
    assert not re.compile(policy[0]["pattern"]).match(f"{FEED_QUEUE}.retry.1")
    assert {u["name"] for u in defs["users"]} >= set(SERVICES)
    assert all(u["password_hash"] == "" for u in defs["users"]), "no passwords in the repository"


def test_compose_broker_definitions_differ_only_by_local_passwords():
    local, production = definitions("definitions.compose.json"), definitions()
    strip = lambda d: {**d, "users": [{**u, "password_hash": ""} for u in d["users"]]}  # noqa: E731
    assert strip(local) == production
    hashes = {u["name"]: u["password_hash"] for u in local["users"]}
    for name in SERVICES:
        uri = urlsplit(compose_env(name)["AMQP_URI"])
        assert uri.username == name and uri.path == "/jii" and uri.hostname == "rabbitmq"
        assert rabbit_password_matches(hashes[name], uri.password), name


def test_postgres_init_makes_every_database_compose_uses():
    script = (DEPLOY / "postgres" / "init-databases.sh").read_text()
    [names] = re.findall(r"^for name in (.+); do", script, re.M)
    postgres_env = compose()["services"]["postgres"]["environment"]
    for name in SERVICES:
        assert name in names.split()
        assert f"{name.upper()}_DB_PASSWORD" in postgres_env
        url = compose_env(name).get(f"{name.upper()}_DATABASE_URL")
        if url:  # the gateway's is ready for when its config reads one
            parts = urlsplit(url)
            assert (parts.username, parts.hostname, parts.path) == \
                (name, "postgres", f"/jii_{name}")
            assert parts.password == postgres_env[f"{name.upper()}_DB_PASSWORD"]


# --- the services start with compose's environment -------------------------------------------

LOCAL_HOSTS = {"rabbitmq", "postgres", "localstripe", "mailpit", "gateway"}
HOST = re.compile(r"(?<=[@/])(" + "|".join(LOCAL_HOSTS) + r")(?=[:/]|$)")


def localised(env: dict[str, str], vhost: str, database_url: str,
              users: dict[str, str]) -> dict[str, str]:
    """Compose's environment with its host names pointed at this machine (the ports are the
    same), the broker vhost swapped for the test's own, each broker user for the test's copy
    (`users`), and the database for a fresh one."""
    out = {}
    for key, value in env.items():
        value = "127.0.0.1" if value in LOCAL_HOSTS else HOST.sub("127.0.0.1", value)
        if key == "AMQP_URI":
            uri = urlsplit(value)
            netloc = uri.netloc.replace(f"{uri.username}:", f"{users[uri.username]}:", 1)
            value = urlunsplit(uri._replace(netloc=netloc, path=f"/{vhost}"))
        if key.endswith("_DATABASE_URL"):
            value = database_url
        out[key] = value
    return out


@pytest.fixture
def broker_like_compose(rabbit_config, rabbit_manager):
    """The test's vhost with compose's users, permissions and policies on the local broker.

    Each user is added under a name of the test's own, with compose's password, tags and
    permissions (`users` maps compose's names to them): users are the broker's, not a vhost's,
    and a shared name removed by one test would log out another's service."""
    vhost = rabbit_config["vhost"]
    local = definitions("definitions.compose.json")
    users = {user["name"]: f"{user['name']}-{vhost}" for user in local["users"]}
    try:
        for user in local["users"]:
            rabbit_manager._put("users", users[user["name"]], json={
                "password_hash": user["password_hash"], "tags": ",".join(user["tags"]),
                "hashing_algorithm": user["hashing_algorithm"]})
        for entry in local["permissions"]:
            rabbit_manager.set_vhost_permissions(vhost, users[entry["user"]], entry["configure"],
                                                 entry["read"], entry["write"])
        for policy in local["policies"]:
            body = {k: policy[k] for k in ("pattern", "definition", "priority", "apply-to")}
            rabbit_manager._put("policies", vhost, policy["name"], json=body)
        yield {**rabbit_config, "users": users}
    finally:
        for name in users.values():
            rabbit_manager._delete("users", name)


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKENDS)
def test_service_starts_and_answers_with_compose_environment(name, broker_like_compose,
                                                             make_database, tmp_path):
    from nameko.standalone.rpc import ClusterRpcProxy

    database = make_database(name, service_dir(name) / "migrations")
    env = localised(compose_env(name), broker_like_compose["vhost"], database,
                    broker_like_compose["users"])
    # Only what a container also has: a PATH, and nothing else from this shell.
    process_env = {"PATH": os.environ["PATH"], "PSYCOPG_WAIT_FUNC": "wait_selector",
                   "PYTHONUNBUFFERED": "1", **env}
    log = (tmp_path / f"{name}.log").open("wb")
    nameko = [sys.executable, "-m", "nameko", "run", "--config",
              str(service_dir(name) / "config.yml"), f"{name}.service"]
    process = subprocess.Popen(nameko, cwd=service_dir(name), env=process_env,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        answer = None
        # Twice the start period compose gives the services (`x-service-health`, 30 s): a busy
        # machine imports slowly.
        deadline = time.monotonic() + 60
        with ClusterRpcProxy(broker_like_compose, timeout=2) as rpc:
            while answer is None:
                assert process.poll() is None, (tmp_path / f"{name}.log").read_text()
                try:
                    answer = getattr(rpc, name).ping()
                except Exception as exc:  # its queue is not there yet, or it is still starting
                    if time.monotonic() > deadline:
                        log.flush()
                        tail = (tmp_path / f"{name}.log").read_text(errors="replace")[-4000:]
                        raise AssertionError(f"{name} did not answer within 60 s ({exc!r}); "
                                             f"its log ends:\n{tail}") from None
                    time.sleep(0.3)
        assert answer == {"service": name, "ok": True}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            # Within the grace its deployment gives it (terminationGracePeriodSeconds: 60; a
            # busy test machine took over 20 s to finish a watcher's call to the broker).
            process.wait(60)
        except subprocess.TimeoutExpired:
            # Say what the service was doing when it would not stop, not only that it did not.
            log.flush()
            tail = (tmp_path / f"{name}.log").read_text(errors="replace")[-4000:]
            raise AssertionError(f"{name} did not stop within 60 s of SIGTERM; its log "
                                 f"ends:\n{tail}") from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
    assert process.returncode == 0, (tmp_path / f"{name}.log").read_text()
    assert "ACCESS_REFUSED" not in (tmp_path / f"{name}.log").read_text()
