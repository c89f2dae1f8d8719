"""The shared set-up's decisions (`jii dev setup`, `make test`, `.ci/run`, `jii dev run`).

The machine's commands are replaced by a PATH of fake ones that record each call; those that
"start" a server open real listeners on free loopback ports (an HTTP server answering 200), so
the set-up's waiting and checking run for real. The shared PostgreSQL and RabbitMQ are never
touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from jii_cli import devsetup
from jii_cli.devsetup import Machine, NotReady, Peers, setup
from servicekit.testing import free_port, wait_until

LISTENER = """
import http.server, os, sys, threading
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
servers = [http.server.ThreadingHTTPServer(("127.0.0.1", int(p)), Ok) for p in sys.argv[1:]]
for server in servers[1:]:
    threading.Thread(target=server.serve_forever, daemon=True).start()
servers[0].serve_forever()
"""


class FakeMachine:
    """A directory of fake commands, the log of their calls, and the listeners they start."""

    def __init__(self, tmp_path: Path):
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.log = tmp_path / "calls.log"
        self.log.touch()
        self.pids = tmp_path / "pids"
        self.state = tmp_path / "state"
        self.state.mkdir()
        (tmp_path / "listen.py").write_text(LISTENER)
        self.listen = f"{sys.executable} {tmp_path / 'listen.py'}"
        self.root = tmp_path / "checkout"
        (self.root / "deploy").mkdir(parents=True)
        self.packages([])

    def command(self, name: str, body: str = "") -> None:
        script = self.bin / name
        # One line per call, whatever newlines the arguments hold.
        script.write_text(f'#!/bin/sh\nPATH=/usr/bin:/bin\n'
                          f'echo "{name} $*" | tr "\\n" " " >> {self.log}\n'
                          f'echo >> {self.log}\n'
                          + textwrap.dedent(body))
        script.chmod(0o755)

    def starts(self, *ports: int) -> str:
        """Shell lines that start listeners on `ports` in the background."""
        listed = " ".join(map(str, ports))
        return f"{self.listen} {listed} >/dev/null 2>&1 &\necho $! >> {self.pids}\n"

    def packages(self, names: list[str]) -> None:
        (self.root / "deploy" / "system-packages.txt").write_text(
            "# a comment\n" + "".join(f"{name}  # why\n" for name in names))

    def machine(self, is_root: bool = True) -> Machine:
        said: list[str] = []
        # No PostgreSQL programs: the tests would use the machine's server (see
        # test_a_run_with_a_server_of_its_own_leaves_the_machines_connections_alone).
        environ = {"PATH": str(self.bin), "JII_TEST_PG_BIN": str(self.root / "no-postgres")}
        machine = Machine(self.root, environ=environ, is_root=is_root, say=said.append)
        machine.said = said  # type: ignore[attr-defined]
        return machine

    def calls(self) -> list[str]:
        return [line.rstrip() for line in self.log.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        if self.pids.exists():
            for pid in self.pids.read_text().split():
                try:
                    os.kill(int(pid), signal.SIGTERM)
                except ProcessLookupError:
                    pass


@pytest.fixture
def fake(tmp_path, monkeypatch):
    machine = FakeMachine(tmp_path)
    monkeypatch.setattr(devsetup, "START_TIMEOUT", 15.0)
    yield machine
    machine.stop()


@pytest.fixture
def ports():
    """Free loopback ports for PostgreSQL, AMQP and the management API, nothing on them."""
    return {"pg": free_port(), "amqp": free_port(), "api": free_port()}


def peers_on(ports: dict[str, int]) -> Peers:
    return Peers.from_urls(f"amqp://guest:guest@127.0.0.1:{ports['amqp']}/",
                           f"http://guest:guest@127.0.0.1:{ports['api']}",
                           [f"postgresql://postgres@127.0.0.1:{ports['pg']}/jii_donations"])


def test_a_ready_machine_runs_no_command_but_the_package_query(fake, ports):
    fake.command("dpkg-query", 'echo "chromium ii "\n')
    fake.packages(["chromium"])
    fake.command("apt-get")
    fake.command("pg_ctlcluster")
    fake.command("rabbitmq-server")
    listener = subprocess.Popen([*fake.listen.split(), *map(str, ports.values())])
    try:
        assert wait_until(lambda: devsetup.answers("127.0.0.1", ports["api"]))
        assert setup(fake.machine(), peers_on(ports)) == {}
    finally:
        listener.terminate()
        listener.wait()
    assert [call.split()[0] for call in fake.calls()] == ["dpkg-query"]


def test_stopped_postgres_cluster_is_started_and_awaited(fake, ports):
    fake.command("pg_lsclusters", f'echo "15  main    {ports["pg"]} down   postgres /x /y"\n')
    fake.command("pg_ctlcluster", fake.starts(ports["pg"], ports["amqp"], ports["api"]))
    assert setup(fake.machine(), peers_on(ports)) == {}
    assert "pg_ctlcluster 15 main start" in fake.calls()
    assert devsetup.answers("127.0.0.1", ports["pg"])


def test_stopped_rabbitmq_is_started_then_its_management_plugin_enabled(fake, ports):
    subprocess.run(["/bin/sh", "-c", fake.starts(ports["pg"])], check=True)
    assert wait_until(lambda: devsetup.answers("127.0.0.1", ports["pg"]))
    fake.command("rabbitmqctl", f"""
        case "$1 $2" in
          "-q status") exit 1 ;;
          "-q await_startup") test -e {fake.state}/rabbit || exit 1 ;;
        esac
    """)
    fake.command("rabbitmq-server", f"touch {fake.state}/rabbit\n" + fake.starts(ports["amqp"]))
    fake.command("rabbitmq-plugins", fake.starts(ports["api"]))
    assert setup(fake.machine(), peers_on(ports)) == {}
    calls = fake.calls()
    assert "rabbitmq-server -detached" in calls
    assert calls.index("rabbitmq-server -detached") < calls.index(
        "rabbitmq-plugins -q enable rabbitmq_management")
    assert any(call.startswith("rabbitmqctl -q await_startup") for call in calls)


def test_without_postgres_or_rabbitmq_but_with_docker_compose_starts_both(fake, ports):
    # The engine answers `docker info`; the compose plugin is absent, the standalone is not.
    fake.command("docker", 'test "$1" = info\n')
    fake.command("docker-compose", fake.starts(*ports.values()))
    env = setup(fake.machine(), peers_on(ports))
    [up] = [call for call in fake.calls() if call.startswith("docker-compose")]
    assert up == (f"docker-compose -f {fake.root / 'docker-compose.yml'} "
                  "up -d postgres rabbitmq")
    assert env["PGPASSWORD"] == "postgres-local"
    assert env["AMQP_URI"] == f"amqp://jii-operator:jii-operator-local@127.0.0.1:{ports['amqp']}/jii"
    assert f"--rabbit-api-uri=http://jii-operator:jii-operator-local@127.0.0.1:{ports['api']}" \
        in env["PYTEST_ADDOPTS"]


def test_only_the_missing_one_is_started_in_a_container(fake, ports):
    fake.command("pg_lsclusters", f'echo "15  main    {ports["pg"]} down   postgres /x /y"\n')
    fake.command("pg_ctlcluster", fake.starts(ports["pg"]))
    fake.command("docker", 'test "$1" = info\n')
    fake.command("docker-compose", fake.starts(ports["amqp"], ports["api"]))
    env = setup(fake.machine(), peers_on(ports))
    assert "pg_ctlcluster 15 main start" in fake.calls()
    [up] = [call for call in fake.calls() if call.startswith("docker-compose")]
    assert up.endswith("up -d rabbitmq")
    assert "PGPASSWORD" not in env and env["AMQP_URI"].endswith("/jii")


def test_without_postgres_rabbitmq_or_docker_it_stops_with_the_commands(fake, ports):
    with pytest.raises(NotReady) as failure:
        setup(fake.machine(), peers_on(ports))
    message = str(failure.value)
    assert "PostgreSQL" in message and "RabbitMQ" in message and "not installed" in message
    assert "apt-get install -y postgresql rabbitmq-server" in message
    assert "docker compose up -d postgres rabbitmq" in message
    assert fake.calls() == []


def test_not_root_without_sudo_it_prints_the_start_command_and_runs_nothing(fake, ports):
    fake.command("pg_lsclusters", f'echo "15  main    {ports["pg"]} down   postgres /x /y"\n')
    fake.command("pg_ctlcluster", fake.starts(ports["pg"]))
    with pytest.raises(NotReady, match=r"start it:\n    (sudo )?pg_ctlcluster 15 main start"):
        setup(fake.machine(is_root=False), peers_on(ports))
    assert fake.calls() == ["pg_lsclusters --no-header"]


def test_a_remote_broker_is_only_checked(fake, monkeypatch):
    fake.command("rabbitmq-server")
    # Nothing is sent to the remote address: it is simply reported as not answering.
    monkeypatch.setattr(devsetup, "answers", lambda host, port, timeout=1.0: False)
    peers = Peers.from_urls("amqp://guest:guest@192.0.2.1:5672/", "http://127.0.0.1:1", [])
    with pytest.raises(NotReady, match=r"RabbitMQ does not answer on 192\.0\.2\.1:5672$"):
        setup(fake.machine(), peers)
    assert fake.calls() == []


def fake_postgres_allowing(fake: FakeMachine, ports: dict[str, int], allowed: int) -> None:
    """An online local cluster on ports["pg"] (its listener started) whose psql answers
    `allowed` to SHOW max_connections, and what ALTER SYSTEM sets after a restart."""
    subprocess.run(["/bin/sh", "-c", fake.starts(*ports.values())], check=True)
    assert wait_until(lambda: devsetup.answers("127.0.0.1", ports["api"]))
    fake.command("pg_lsclusters", f'echo "15  main    {ports["pg"]} online postgres /x /y"\n')
    fake.command("psql", f"""
        case "$*" in
          *SHOW*) cat {fake.state}/max 2>/dev/null || echo {allowed} ;;
          *"ALTER SYSTEM SET max_connections = "*) echo "${{10##* }}" > {fake.state}/pending ;;
          *) exit 1 ;;
        esac
    """)
    fake.command("pg_ctlcluster", f"mv {fake.state}/pending {fake.state}/max 2>/dev/null\n")


def test_postgres_allowing_too_few_connections_for_the_workers_is_raised_and_restarted(
        fake, ports):
    fake_postgres_allowing(fake, ports, 100)
    machine = fake.machine()
    machine.environ["JII_TEST_WORKERS"] = "3"
    assert setup(machine, peers_on(ports)) == {}
    need = devsetup.connections_needed(3)
    assert need == 3 * devsetup.CONNECTIONS_PER_WORKER + devsetup.CONNECTIONS_SPARE > 100
    changes = [call for call in fake.calls() if not call.endswith("SHOW max_connections")
               and not call.startswith("pg_lsclusters")]
    assert changes == [
        f"psql -h 127.0.0.1 -p {ports['pg']} -U postgres -d postgres -XAtc "
        f"ALTER SYSTEM SET max_connections = {need}",
        "pg_ctlcluster 15 main restart"]
    assert (fake.state / "max").read_text().strip() == str(need)
    # the next set-up finds enough and changes nothing
    fake.log.write_text("")
    setup(machine, peers_on(ports))
    assert [call.split()[0] for call in fake.calls()] == ["psql"]


def test_postgres_allowing_enough_connections_is_neither_changed_nor_restarted(fake, ports):
    fake_postgres_allowing(fake, ports, 300)
    machine = fake.machine()
    machine.environ["JII_TEST_WORKERS"] = "2"
    setup(machine, peers_on(ports))
    assert fake.calls() == [f"psql -h 127.0.0.1 -p {ports['pg']} -U postgres -d postgres "
                            "-XAtc SHOW max_connections"]


def test_a_run_with_a_server_of_its_own_leaves_the_machines_connections_alone(fake, ports):
    fake_postgres_allowing(fake, ports, 100)
    programs = fake.root / "postgres-bin"
    programs.mkdir()
    (programs / "initdb").write_text("")
    machine = fake.machine()
    machine.environ.update(JII_TEST_WORKERS="3", JII_TEST_PG_BIN=str(programs))
    setup(machine, peers_on(ports))
    assert not [call for call in fake.calls() if "max_connections" in call
                or call.startswith("pg_ctlcluster")]
    # unless the tests are sent to that server
    machine.environ["JII_TEST_PG_URL"] = f"postgresql://postgres@127.0.0.1:{ports['pg']}"
    setup(machine, peers_on(ports))
    assert any("ALTER SYSTEM SET max_connections" in call for call in fake.calls())


def test_too_few_connections_without_root_stop_with_the_commands_and_change_nothing(
        fake, ports):
    fake_postgres_allowing(fake, ports, 100)
    machine = fake.machine(is_root=False)
    machine.environ["JII_TEST_WORKERS"] = "2"
    with pytest.raises(NotReady, match="allows 100 connections") as failure:
        setup(machine, peers_on(ports))
    assert "ALTER SYSTEM SET max_connections = 160" in str(failure.value)
    assert "pg_ctlcluster 15 main restart" in str(failure.value)
    assert not any("ALTER" in call or "restart" in call for call in fake.calls())


def test_a_remote_or_unmanaged_postgres_allowing_too_few_is_only_reported(fake, ports):
    fake_postgres_allowing(fake, ports, 100)
    fake.command("pg_lsclusters", "true\n")  # not one of this machine's clusters
    machine = fake.machine()
    machine.environ["JII_TEST_WORKERS"] = "2"
    setup(machine, peers_on(ports))
    assert not any("ALTER" in call or "pg_ctlcluster" in call for call in fake.calls())
    assert any("allows 100 connections" in line and "JII_TEST_WORKERS=1" in line
               for line in machine.said)  # type: ignore[attr-defined]


def test_missing_packages_are_installed_once_and_only_those(fake, ports):
    fake.packages(["chromium", "fonts-noto-cjk"])
    fake.command("dpkg-query", f"""
        echo "chromium ii "
        test -e {fake.state}/installed && echo "fonts-noto-cjk ii "
        exit 0
    """)
    fake.command("apt-get", f'test "$3" = install && touch {fake.state}/installed\nexit 0\n')
    devsetup.ensure_packages(fake.machine(), devsetup.listed_packages(fake.root))
    apt = [call for call in fake.calls() if call.startswith("apt-get")]
    assert apt == ["apt-get -o DPkg::Lock::Timeout=300 update -q",
                   "apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "
                   "fonts-noto-cjk"]
    fake.log.write_text("")
    devsetup.ensure_packages(fake.machine(), devsetup.listed_packages(fake.root))
    assert [call.split()[0] for call in fake.calls()] == ["dpkg-query"]


def test_missing_packages_without_root_stop_with_the_apt_commands(fake):
    fake.packages(["chromium"])
    fake.command("dpkg-query", "exit 1\n")
    fake.command("apt-get")
    with pytest.raises(NotReady, match="missing: chromium") as failure:
        devsetup.ensure_packages(fake.machine(is_root=False),
                                 devsetup.listed_packages(fake.root))
    assert "apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends chromium" \
        in str(failure.value)
    assert not any(call.startswith("apt-get") for call in fake.calls())


def test_peers_env_file_is_what_make_sources(tmp_path):
    path = devsetup.write_peers_env(tmp_path, {"PYTEST_ADDOPTS": "--a=1 --b=2", "X": "y"})
    out = subprocess.run(["bash", "-c", f"set -a; source {path}; echo \"$PYTEST_ADDOPTS|$X\""],
                         capture_output=True, text=True, check=True).stdout
    assert out == "--a=1 --b=2|y\n"
    assert devsetup.write_peers_env(tmp_path, {}).read_text() == ""


def test_the_project_lists_its_debian_packages():
    from jii_cli.workspace import repo_root

    names = devsetup.listed_packages(repo_root())
    assert "chromium" in names and all(" " not in name for name in names)
