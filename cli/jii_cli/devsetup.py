"""`jii dev setup`: make this machine ready for `make run` and `make test`, or say exactly how.

The one set-up that `make run` (through `jii dev run`), `make test` and `.ci/run` share:

1. PostgreSQL and RabbitMQ on this machine: nothing to do when they answer; started when
   installed but stopped (`pg_ctlcluster`, `rabbitmq-server -detached`, or systemd where it
   runs); where they are not installed but a Docker engine answers, started in containers
   with `docker compose up -d postgres rabbitmq` (the missing ones) from the repository's
   compose file;
2. enables RabbitMQ's management plugin (Nameko's test fixtures make a vhost per test
   through its HTTP API) and waits until the API answers;
3. where the tests use the machine's PostgreSQL (JII_TEST_PG_URL is set, or PostgreSQL's
   programs are not installed here, so the test run cannot start a server of its own), makes
   it allow the connections the parallel tests need (`connections_needed`: per test worker,
   two per CPU or JII_TEST_WORKERS): a local cluster that allows fewer gets
   `ALTER SYSTEM SET max_connections` and a restart, one that allows enough is left alone;
4. installs the Debian packages listed in deploy/system-packages.txt that are missing
   (`dpkg-query` first, so a ready machine costs a few milliseconds; `apt-get update` once,
   then one `apt-get install`).

Whatever it cannot do (not root and no password-less sudo, nothing installed and no Docker)
it stops on, printing the exact commands to run. It only starts what is on loopback addresses:
a remote broker or database is only checked. Run as `python -m jii_cli.devsetup` it imports
nothing heavy, so `make test` on a ready machine pays well under a second for it.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from servicekit.devtools.parallel_tests import (
    CONNECTIONS_PER_WORKER,
    CONNECTIONS_SPARE,
    connections_needed,
    run_has_own_postgres,
    worker_count,
)

from jii_cli.workspace import CliError, repo_root

PACKAGES_FILE = Path("deploy") / "system-packages.txt"
# Written for `make test` when the peers run under compose, whose users have passwords:
# shell assignments the Makefile exports before pytest (empty when nothing is needed).
PEERS_ENV_FILE = Path("var") / "peers.env"
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_MANAGEMENT_URI = "http://guest:guest@127.0.0.1:15672"
# The compose file's local credentials (docker-compose.yml, definitions.compose.json).
COMPOSE_PG_PASSWORD = "postgres-local"
COMPOSE_OPERATOR = ("jii-operator", "jii-operator-local")
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Peers:
    """Where the broker, its management API and the database servers should answer."""

    amqp: tuple[str, int]
    management: tuple[str, int]
    management_auth: tuple[str, str]
    postgres: tuple[tuple[str, int], ...]

    @classmethod
    def from_urls(cls, amqp_uri: str, management_uri: str, pg_urls: Sequence[str]) -> Peers:
        amqp = urlsplit(amqp_uri)
        api = urlsplit(management_uri)
        servers = []
        for url in pg_urls:
            parts = urlsplit(url)
            if parts.hostname and (parts.hostname, parts.port or 5432) not in servers:
                servers.append((parts.hostname, parts.port or 5432))
        return cls(
            amqp=(amqp.hostname or "127.0.0.1", amqp.port or 5672),
            management=(api.hostname or "127.0.0.1", api.port or 15672),
            management_auth=(api.username or "guest", api.password or "guest"),
            postgres=tuple(servers),
        )

    @classmethod
    def for_tests(cls, environ: dict[str, str]) -> Peers:
        """What the test suite talks to: its broker, management API and database server."""
        return cls.from_urls(environ.get("AMQP_URI", DEFAULT_AMQP_URI),
                             environ.get("RABBIT_API_URI", DEFAULT_MANAGEMENT_URI),
                             [environ.get("JII_TEST_PG_URL", DEFAULT_PG_URL)])


@dataclass
class Machine:
    """The commands the set-up runs and the facts it reads, in one place so tests can swap
    them (a PATH of fake commands, a non-root user, no systemd)."""

    root: Path
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    is_root: bool = field(default_factory=lambda: os.geteuid() == 0)
    say: Callable[[str], None] = field(default=lambda line: print(f"setup: {line}", flush=True))

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=self.environ.get("PATH"))

    def run(self, argv: Sequence[str], timeout: float = 600, quiet: bool = False,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), env={**self.environ, **(env or {})}, text=True,
                              stdin=subprocess.DEVNULL, timeout=timeout,
                              stdout=subprocess.PIPE if quiet else None,
                              stderr=subprocess.PIPE if quiet else None)

    def ok(self, argv: Sequence[str], timeout: float = 30) -> bool:
        try:
            return self.run(argv, timeout=timeout, quiet=True).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def systemd(self) -> bool:
        return Path("/run/systemd/system").is_dir() and bool(self.which("systemctl"))

    def privileged(self, argv: Sequence[str]) -> list[str] | None:
        """argv as root: itself when we are root, through password-less sudo when that works,
        else None (the caller prints the command for a person to run)."""
        if self.is_root:
            return list(argv)
        if self.which("sudo") and self.ok(["sudo", "-n", "true"], timeout=10):
            return ["sudo", "-n", *argv]
        return None


class NotReady(CliError):
    """What is missing, with the commands that would fix it."""


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def wait_until(check: Callable[[], bool], seconds: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def _commands(*argvs: Sequence[str], root: bool = True) -> str:
    """Commands for a person to paste, with sudo when they need root and are not."""
    prefix = "sudo " if root and os.geteuid() != 0 else ""
    return "\n".join(f"    {prefix}{shlex.join(argv)}" for argv in argvs)


# --- system packages ------------------------------------------------------------------------


def listed_packages(root: Path) -> list[str]:
    path = root / PACKAGES_FILE
    if not path.is_file():
        return []
    names = []
    for line in path.read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names


def missing_packages(machine: Machine, names: Sequence[str]) -> list[str]:
    """The names dpkg does not report as installed (one dpkg-query for all of them)."""
    if not names:
        return []
    result = machine.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n", *names],
                         quiet=True, timeout=60)
    installed = {line.split()[0] for line in result.stdout.splitlines()
                 if len(line.split()) >= 2 and line.split()[1].startswith("ii")}
    # dpkg-query names an architecture-qualified package without its suffix.
    return [name for name in names if name.split(":")[0] not in installed]


def ensure_packages(machine: Machine, names: Sequence[str]) -> None:
    if not names:
        return
    if not machine.which("dpkg-query"):
        machine.say("not a Debian system: install the equivalents of "
                    + " ".join(names) + " yourself")
        return
    missing = missing_packages(machine, names)
    if not missing:
        return
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    # Another apt on a shared machine holds the lock for a while: wait for it, not fail.
    lock = ["-o", "DPkg::Lock::Timeout=300"]
    update = ["apt-get", *lock, "update", "-q"]
    install = ["apt-get", *lock, "install", "-y", "-q", "--no-install-recommends", *missing]
    update_as, install_as = machine.privileged(update), machine.privileged(install)
    if update_as is None or install_as is None:
        raise NotReady("Debian packages the project needs are missing: "
                       + " ".join(missing) + "\n  install them as root:\n"
                       + _commands(update, install))
    machine.say("installing " + " ".join(missing))
    for argv in (update_as, install_as):
        if machine.run(argv, env=env).returncode != 0:
            raise NotReady(f"`{shlex.join(argv)}` failed (see above)")
    still = missing_packages(machine, missing)
    if still:
        raise NotReady("apt-get did not install " + " ".join(still))


# --- PostgreSQL -----------------------------------------------------------------------------


def postgres_clusters(machine: Machine) -> list[tuple[str, str, int, str]]:
    """(version, name, port, status) of each cluster Debian's postgresql-common knows."""
    if not machine.which("pg_lsclusters"):
        return []
    result = machine.run(["pg_lsclusters", "--no-header"], quiet=True, timeout=30)
    clusters = []
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2].isdigit():
            clusters.append((parts[0], parts[1], int(parts[2]), parts[3]))
    return clusters


def start_postgres(machine: Machine, server: tuple[str, int]) -> str | None:
    """Start the local cluster that should answer on `server`; None when started, else what
    to tell the person."""
    clusters = [c for c in postgres_clusters(machine) if c[2] == server[1]]
    if not clusters:
        return "not installed"
    version, name, _, status = clusters[0]
    if status == "online":
        return (f"the cluster {version}/{name} is online: check listen_addresses in "
                f"/etc/postgresql/{version}/{name}/postgresql.conf")
    # Without systemd, pg_ctlcluster starts the server itself; with it, it asks systemd.
    argv = ["pg_ctlcluster", version, name, "start"]
    as_root = machine.privileged(argv)
    if as_root is None:
        return "start it:\n" + _commands(argv)
    machine.say(f"starting PostgreSQL {version}/{name}")
    machine.run(as_root, timeout=120)
    if not wait_until(lambda: answers(*server), START_TIMEOUT):
        return f"started {version}/{name}, but it did not answer within {START_TIMEOUT:.0f}s"
    return None


def _psql(machine: Machine, server: tuple[str, int], statement: str) -> str | None:
    """What `statement` returns on `server` as user postgres, or None when psql fails."""
    argv = ["psql", "-h", server[0], "-p", str(server[1]), "-U", "postgres", "-d", "postgres",
            "-XAtc", statement]
    try:
        result = machine.run(argv, timeout=30, quiet=True)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def ensure_connections(machine: Machine, server: tuple[str, int], need: int) -> None:
    """The server allows at least `need` connections. A local cluster of this machine that
    allows fewer gets `ALTER SYSTEM SET max_connections` and a restart (the setting only takes
    effect then); one that allows enough is left alone. Another server is only reported."""
    if not machine.which("psql"):
        machine.say("psql not found: PostgreSQL's max_connections not checked")
        return
    current = _psql(machine, server, "SHOW max_connections")
    if current is None or not current.isdigit():
        machine.say(f"could not read max_connections on {server[0]}:{server[1]}")
        return
    if int(current) >= need:
        return
    clusters = [c for c in postgres_clusters(machine) if c[2] == server[1]]
    if not is_loopback(server[0]) or not clusters:
        fits = max(1, (int(current) - CONNECTIONS_SPARE) // CONNECTIONS_PER_WORKER)
        machine.say(f"PostgreSQL on {server[0]}:{server[1]} allows {current} connections and "
                    f"the parallel tests need {need}: raise max_connections there, or run "
                    f"fewer workers (JII_TEST_WORKERS={fits})")
        return
    version, name = clusters[0][0], clusters[0][1]
    restart = ["pg_ctlcluster", version, name, "restart"]
    as_root = machine.privileged(restart)
    if as_root is None:
        raise NotReady(f"PostgreSQL {version}/{name} allows {current} connections, the tests "
                       f"need {need}:\n"
                       + _commands(["psql", "-U", "postgres", "-c",
                                    f"ALTER SYSTEM SET max_connections = {need}"], root=False)
                       + "\n" + _commands(restart))
    machine.say(f"PostgreSQL {version}/{name}: max_connections {current} -> {need} (restart)")
    if _psql(machine, server, f"ALTER SYSTEM SET max_connections = {need}") is None:
        raise NotReady(f"could not set max_connections on {version}/{name}")
    machine.run(as_root, timeout=120)
    if not wait_until(lambda: answers(*server), START_TIMEOUT):
        raise NotReady(f"restarted {version}/{name}, but it did not answer within "
                       f"{START_TIMEOUT:.0f}s")


# --- RabbitMQ -------------------------------------------------------------------------------


def start_rabbitmq(machine: Machine, address: tuple[str, int]) -> str | None:
    """Start the local node that should answer on `address`; None when started, else what to
    tell the person ("not installed" when there is no RabbitMQ here)."""
    if not machine.which("rabbitmq-server"):
        return "not installed"
    if machine.ok(["rabbitmqctl", "-q", "status"], timeout=30):
        return ("the local node runs, listening elsewhere: see rabbitmq-diagnostics listeners, "
                "or set AMQP_URI to where it listens")
    argv = (["systemctl", "start", "rabbitmq-server"] if machine.systemd()
            else ["rabbitmq-server", "-detached"])
    as_root = machine.privileged(argv)
    if as_root is None:
        return "start it:\n" + _commands(argv)
    machine.say("starting RabbitMQ")
    machine.run(as_root, timeout=120)
    # Right after -detached the node may not be reachable at all yet: keep asking.
    await_startup = ["rabbitmqctl", "-q", "await_startup", "--timeout", "10"]
    started = wait_until(lambda: machine.ok(await_startup, timeout=20) and answers(*address),
                         START_TIMEOUT, interval=1.0)
    if not started:
        return f"started RabbitMQ, but it did not answer within {START_TIMEOUT:.0f}s"
    return None


def management_answers(peers: Peers) -> bool:
    host, port = peers.management
    token = base64.b64encode(":".join(peers.management_auth).encode()).decode()
    request = urllib.request.Request(f"http://{host}:{port}/api/overview",
                                     headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def ensure_management(machine: Machine, peers: Peers) -> None:
    if management_answers(peers):
        return
    host, port = peers.management
    if not is_loopback(host) or not machine.which("rabbitmq-plugins"):
        raise NotReady(f"the RabbitMQ management API does not answer on http://{host}:{port} "
                       f"with user {peers.management_auth[0]}: enable it on that broker with\n"
                       + _commands(["rabbitmq-plugins", "enable", "rabbitmq_management"]))
    argv = ["rabbitmq-plugins", "-q", "enable", "rabbitmq_management"]
    as_root = machine.privileged(argv)
    if as_root is None:
        raise NotReady("the RabbitMQ management plugin is off; enable it:\n" + _commands(argv))
    machine.say("enabling the RabbitMQ management plugin")
    machine.run(as_root, timeout=120, quiet=True)
    if not wait_until(lambda: management_answers(peers), 60):
        raise NotReady(f"the RabbitMQ management API did not answer on http://{host}:{port} "
                       "within 60s of enabling the plugin")


# --- containers -----------------------------------------------------------------------------


def compose_command(machine: Machine) -> list[str] | None:
    """`docker compose` (the plugin) or `docker-compose` (the standalone one), when a Docker
    engine answers; None otherwise."""
    if not machine.which("docker") or not machine.ok(["docker", "info"], timeout=20):
        return None
    if machine.ok(["docker", "compose", "version"]):
        return ["docker", "compose"]
    if machine.which("docker-compose"):
        return ["docker-compose"]
    return None


def start_in_containers(machine: Machine, peers: Peers, compose: list[str],
                        services: Sequence[str]) -> dict[str, str]:
    """`docker compose up -d postgres rabbitmq` (those of the two that are missing), wait
    until they answer, and return the environment that reaches them (the compose stack's
    users have passwords)."""
    argv = [*compose, "-f", str(machine.root / "docker-compose.yml"), "up", "-d", *services]
    machine.say("starting in containers: " + shlex.join(argv))
    if machine.run(argv, timeout=900).returncode != 0:
        raise NotReady(f"`{shlex.join(argv)}` failed (see above)")
    waits = [*(peers.postgres if "postgres" in services else ()),
             *([peers.amqp] if "rabbitmq" in services else [])]
    if not wait_until(lambda: all(answers(*a) for a in waits), START_TIMEOUT):
        raise NotReady(f"the containers did not answer within {START_TIMEOUT:.0f}s: "
                       f"{shlex.join([*compose, 'logs', *services])}")
    env = {}
    if "postgres" in services:
        env["PGPASSWORD"] = COMPOSE_PG_PASSWORD
    if "rabbitmq" in services:
        user, password = COMPOSE_OPERATOR
        host, port = peers.amqp
        api_host, api_port = peers.management
        env.update({
            "AMQP_URI": f"amqp://{user}:{password}@{host}:{port}/jii",
            "RABBIT_API_URI": f"http://{user}:{password}@{api_host}:{api_port}",
            "PYTEST_ADDOPTS": (f"--amqp-uri=pyamqp://{user}:{password}@{host}:{port}/ "
                               f"--rabbit-api-uri=http://{user}:{password}@{api_host}:{api_port}"),
        })
    return env


# --- the whole set-up -----------------------------------------------------------------------


def install_advice(root: Path) -> str:
    return ("  install them (Debian or Ubuntu, as root):\n"
            + _commands(["apt-get", "install", "-y", "postgresql", "rabbitmq-server"])
            + "\n  or, with a Docker engine:\n"
            + f"    cd {root} && docker compose up -d postgres rabbitmq")


def _local_server(machine: Machine, what: str, address: tuple[str, int],
                  start: Callable[[Machine, tuple[str, int]], str | None]) -> str | None:
    """None when `address` answers (started here if it is a local server that was stopped),
    "not installed", or what is wrong."""
    if answers(*address):
        return None
    if not is_loopback(address[0]):
        return f"{what} does not answer on {address[0]}:{address[1]}"
    why = start(machine, address)
    if why and why != "not installed":
        return f"{what} does not answer on {address[0]}:{address[1]}: {why}"
    return why


def ensure_peers(machine: Machine, peers: Peers) -> dict[str, str]:
    """PostgreSQL and RabbitMQ answer (started if need be) and the management API is on.
    Returns environment variables the callers must pass on (empty unless compose started
    one of them)."""
    outcomes = [("postgres", f"PostgreSQL ({host}:{port})",
                 _local_server(machine, "PostgreSQL", (host, port), start_postgres))
                for host, port in peers.postgres]
    outcomes.append(("rabbitmq", f"RabbitMQ ({peers.amqp[0]}:{peers.amqp[1]})",
                     _local_server(machine, "RabbitMQ", peers.amqp, start_rabbitmq)))
    problems = [why for _, _, why in outcomes if why and why != "not installed"]
    if problems:
        raise NotReady("\n".join(problems))
    missing = [(service, label) for service, label, why in outcomes if why == "not installed"]
    env: dict[str, str] = {}
    if missing:
        compose = compose_command(machine)
        if compose is None:
            raise NotReady(" and ".join(label for _, label in missing) + " not installed "
                           "here, and no Docker engine answers.\n" + install_advice(machine.root))
        services = list(dict.fromkeys(service for service, _ in missing))
        env = start_in_containers(machine, peers, compose, services)
        machine.environ.update(env)
        if "AMQP_URI" in env:
            peers = Peers.from_urls(env["AMQP_URI"], env["RABBIT_API_URI"], [])
    ensure_management(machine, peers)
    return env


def setup(machine: Machine, peers: Peers) -> dict[str, str]:
    """Everything; returns the environment the peers need (see ensure_peers). The peers come
    first: a missing database is the likelier failure, and it is reported before any install."""
    env = ensure_peers(machine, peers)
    if not run_has_own_postgres(machine.environ):  # else its tests never use these servers
        need = connections_needed(worker_count(machine.environ))
        for server in peers.postgres:
            ensure_connections(machine, server, need)
    ensure_packages(machine, listed_packages(machine.root))
    return env


def write_peers_env(root: Path, env: dict[str, str]) -> Path:
    path = root / PEERS_ENV_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={shlex.quote(value)}" for key, value in sorted(env.items())]
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def run(args: object = None) -> int:
    """`jii dev setup`: the set-up for the test suite's peers, and var/peers.env for make."""
    root = repo_root()
    machine = Machine(root)
    env = setup(machine, Peers.for_tests(machine.environ))
    write_peers_env(root, env)
    return 0


def main() -> int:
    try:
        return run()
    except CliError as error:
        print(f"setup: {error}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
