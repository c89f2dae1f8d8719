"""What `jii dev run` (and so `make run`) decides to start, and what it says when it cannot."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from jii_cli.devrun import Backoff, ProcessSpec, Supervisor, check_peers, plan
from jii_cli.main import main
from jii_cli.workspace import CliError, repo_root
from servicekit.devtools.localstripe_server import TEST_API_KEY

ROOT = repo_root()
BASE_ENV = {"PATH": os.environ.get("PATH", "")}


def procfile() -> dict[str, list[str]]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name] = command.split()
    return entries


def test_procfile_lists_exactly_the_processes_dev_run_starts():
    started = plan(ROOT, BASE_ENV).processes
    listed = procfile()
    assert [spec.name for spec in started] == list(listed)
    for spec in started:
        # Same program and module/config; the Procfile spells ports as ${VAR:-default}.
        argv = [Path(arg).name if arg == sys.executable or arg.endswith("/nameko") else arg
                for arg in spec.argv]
        program = {"python3": "python", Path(sys.executable).name: "python"}.get(argv[0], argv[0])
        assert [program, *argv[1:3]] == listed[spec.name][:3]


def test_dev_run_starts_localstripe_with_the_donations_webhook_secret_by_default():
    p = plan(ROOT, BASE_ENV)
    (localstripe,) = [s for s in p.processes if s.name == "localstripe"]
    assert localstripe.argv[-4:] == [
        "--webhook-url", "http://127.0.0.1:8000/api/webhooks/stripe",
        "--webhook-secret", "whsec_jii_local_development",
    ]
    assert p.env["STRIPE_API_BASE"] == "http://127.0.0.1:8420"
    assert p.env["STRIPE_API_KEY"] == TEST_API_KEY
    assert p.maildir == ROOT / "var" / "mail"


def test_dev_run_leaves_out_localstripe_when_stripe_points_elsewhere():
    names = [s.name for s in plan(ROOT, {**BASE_ENV, "STRIPE_API_BASE": "http://127.0.0.1:9999"})
             .processes]
    assert "localstripe" not in names and "gateway" in names
    real = plan(ROOT, {**BASE_ENV, "STRIPE_API_KEY": "sk_test_real_account"})
    assert "localstripe" not in [s.name for s in real.processes]
    assert real.env["STRIPE_API_BASE"] == "https://api.stripe.com"


def test_dev_run_serves_on_loopback_only(monkeypatch):
    monkeypatch.setenv("GATEWAY_ADDRESS", "0.0.0.0:8000")
    with pytest.raises(CliError, match="loopback only"):
        plan(ROOT, dict(os.environ))


def test_dev_run_says_how_to_start_a_broker_that_does_not_answer(monkeypatch, capsys):
    monkeypatch.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:1/")
    with pytest.raises(CliError, match=r"RabbitMQ does not answer on 127\.0\.0\.1:1: "):
        check_peers(ROOT)
    assert main(["dev", "run"]) == 1
    err = capsys.readouterr().err
    assert "RabbitMQ does not answer" in err and "rabbitmq-diagnostics listeners" in err


def test_backoff_doubles_for_each_exit_in_a_row_and_starts_over_after_a_stable_run():
    backoff = Backoff(first=1, most=8, stable=60)
    assert [backoff.delay("donations", 0.5) for _ in range(5)] == [1, 2, 4, 8, 8]
    assert backoff.delay("donations", 61) == 1
    assert backoff.delay("matching", 0.5) == 1


def test_dev_run_restarts_a_crashed_process_says_so_and_leaves_the_others_running(
    tmp_path, capsys
):
    import time

    marker = tmp_path / "starts"
    crash = f"open({str(marker)!r}, 'a').write('x'); raise SystemExit(3)"
    crasher = ProcessSpec("crasher", [sys.executable, "-c", crash])
    steady = ProcessSpec("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    sup = Supervisor(tmp_path, dict(os.environ), backoff=Backoff(first=0.1, most=0.2))
    try:
        sup.start(crasher)
        steady_proc = sup.start(steady)
        deadline = time.monotonic() + 20
        while sup.restarts.get("crasher", 0) < 2 and time.monotonic() < deadline:
            sup.tend()
            time.sleep(0.05)
        assert sup.restarts == {"crasher": 2}
        assert steady_proc.poll() is None and sup.running[1][1] is steady_proc
    finally:
        sup.stop_all()
    out = capsys.readouterr().out
    assert "exited with code 3; restarting in 0.1s" in out
    assert "restarting (restart 2)" in out
    assert marker.read_text().startswith("xx")
