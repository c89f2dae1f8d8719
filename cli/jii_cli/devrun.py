"""`jii dev run` (what `make run` calls): the whole platform on this machine, in one terminal.

Runs the shared set-up (jii_cli.devsetup: packages, RabbitMQ and PostgreSQL started if
stopped, the management API), migrates every service, then starts localstripe
(unless a real Stripe is configured), the SMTP sink, every service and the gateway, each in
its own process group with its output prefixed by its name. A process that exits is started
again after a back-off (1 s, doubling up to 30 s; back to 1 s once it has run for a minute), as a
production supervisor would, and the terminal says so; Ctrl-C stops all of them. The Procfile at
the repository root lists the same processes for operators who use honcho.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from servicekit import platform
from servicekit.config import database_url
from servicekit.devtools.localstripe_server import TEST_API_KEY

from jii_cli.devsetup import (
    DEFAULT_MANAGEMENT_URI,
    Machine,
    Peers,
    answers,
    is_loopback,
    setup,
)
from jii_cli.migrate import migrate_services
from jii_cli.workspace import (
    SERVICES,
    CliError,
    amqp_uri,
    load_config,
    repo_root,
    service_config,
)

LOCALSTRIPE_HOST = "127.0.0.1"
REAL_STRIPE_JS = "https://js.stripe.com/v3/"
REAL_STRIPE_BASE = "https://api.stripe.com"
WEBHOOK_PATH = "/api/webhooks/stripe"
STOP_GRACE_SECONDS = 10.0
COLOURS = (36, 33, 32, 35, 34, 31, 96, 93)


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    # (host, port) that answers once the process is ready; None when there is nothing to wait for
    ready: tuple[str, int] | None = None


@dataclass
class Plan:
    """What `jii dev run` will start and the environment it gives every process."""

    processes: list[ProcessSpec]
    env: dict[str, str]
    gateway: tuple[str, int]
    localstripe_base: str | None
    maildir: Path | None
    notes: list[str] = field(default_factory=list)


# --- checks ---------------------------------------------------------------------------------


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return (host or "127.0.0.1"), int(port or default_port)


def peers(root: Path) -> Peers:
    """The broker, its management API and every database server the services use."""
    urls = [database_url(service_config(service, root)) for service in SERVICES]
    return Peers.from_urls(amqp_uri(), os.environ.get("RABBIT_API_URI", DEFAULT_MANAGEMENT_URI),
                           urls)


def check_peers(root: Path) -> None:
    """The shared set-up (jii_cli.devsetup): the peers answer, started if need be, and the
    Debian packages are there; what the peers need in the environment goes into ours, so
    every process started after inherits it. Fails with what to do otherwise."""
    machine = Machine(root)
    os.environ.update(setup(machine, peers(root)))


# --- the plan -------------------------------------------------------------------------------


def nameko_executable() -> str:
    beside = Path(sys.executable).parent / "nameko"
    found = str(beside) if beside.exists() else shutil.which("nameko")
    if not found:
        raise CliError("nameko is not installed in this environment: run `uv sync` first")
    return found


def plan(root: Path, environ: dict[str, str] | None = None) -> Plan:
    """Decide the processes and their environment from the configs and environment variables."""
    environ = dict(os.environ if environ is None else environ)
    env = dict(environ)
    env["PYTHONUNBUFFERED"] = "1"  # lines reach the terminal as they are written
    env["JII_ROOT"] = str(root)
    # nameko imports pkg_resources, which warns on every start; noise in a shared terminal.
    env.setdefault("PYTHONWARNINGS", "ignore:pkg_resources is deprecated:UserWarning")
    python = sys.executable
    processes: list[ProcessSpec] = []
    notes: list[str] = []

    gateway_config = load_config(root / "gateway" / "config.yml")
    gateway = _host_port(str(gateway_config.get("WEB_SERVER_ADDRESS", "127.0.0.1:8000")), 8000)
    if not is_loopback(gateway[0]):
        raise CliError(f"`jii dev run` serves on loopback only, not {gateway[0]}: "
                       "set GATEWAY_ADDRESS=127.0.0.1:8000")

    # Stripe: localstripe unless the environment points the donations service elsewhere.
    port = int(environ.get("LOCALSTRIPE_PORT", "8420"))
    local_base = f"http://{LOCALSTRIPE_HOST}:{port}"
    base = environ.get("STRIPE_API_BASE", "").rstrip("/")
    key = environ.get("STRIPE_API_KEY", "")
    localstripe_base = None
    inputs = platform.Inputs()
    if base and base != local_base:
        notes.append(f"Stripe: using {base} from STRIPE_API_BASE (localstripe not started)")
    elif key and key != TEST_API_KEY and not base:
        inputs = platform.Inputs(stripe_base=REAL_STRIPE_BASE)
        notes.append(f"Stripe: a key is configured, using {REAL_STRIPE_BASE} "
                     "(localstripe not started)")
        env.setdefault("STRIPE_JS_URL", REAL_STRIPE_JS)
        if not environ.get("STRIPE_PUBLISHABLE_KEY"):
            notes.append("Stripe: set STRIPE_PUBLISHABLE_KEY for the site's card payments")
    else:
        localstripe_base = local_base
        # donations calls it, and the site's pages load its Stripe.js stand-in
        inputs = platform.Inputs(stripe_base=local_base, stripe_key=key or TEST_API_KEY)
        secret = str(service_config("donations", root).get("STRIPE_WEBHOOK_SECRET") or "")
        webhook = f"http://{gateway[0]}:{gateway[1]}{WEBHOOK_PATH}"
        processes.append(ProcessSpec(
            "localstripe",
            [python, "-m", "servicekit.devtools.localstripe_server", "--host", LOCALSTRIPE_HOST,
             "--port", str(port), "--webhook-url", webhook, "--webhook-secret", secret],
            ready=(LOCALSTRIPE_HOST, port),
        ))

    # Mail: the local sink unless notifications is pointed at a real SMTP server.
    smtp_host = environ.get("SMTP_HOST", "127.0.0.1")
    smtp_port = int(environ.get("SMTP_PORT", "1025"))
    maildir = None
    if is_loopback(smtp_host):
        maildir = Path(environ.get("JII_MAILDIR") or root / "var" / "mail")
        inputs = replace(inputs, smtp_host=smtp_host, smtp_port=smtp_port)
        processes.append(ProcessSpec(
            "smtp",
            [python, "-m", "servicekit.devtools.smtp_sink", "--host", smtp_host,
             "--port", str(smtp_port), "--maildir", str(maildir)],
            ready=(smtp_host, smtp_port),
        ))
    else:
        notes.append(f"Mail: sent through {smtp_host}:{smtp_port} (SMTP sink not started)")

    env.update(platform.environment(inputs, root=root))
    nameko = nameko_executable()
    for service in platform.START_ORDER:
        processes.append(ProcessSpec(service, platform.command(service, nameko),
                                     ready=gateway if service == "gateway" else None))
    return Plan(processes, env, gateway, localstripe_base, maildir, notes)


# --- running --------------------------------------------------------------------------------


@dataclass
class Backoff:
    """How long to wait before starting a process that exited: `first` seconds, doubling for
    each exit in a row up to `most`; a process that ran `stable` seconds starts over at `first`."""

    first: float = 1.0
    most: float = 30.0
    stable: float = 60.0
    _streak: dict[str, int] = field(default_factory=dict)

    def delay(self, name: str, ran_for: float) -> float:
        streak = 0 if ran_for >= self.stable else self._streak.get(name, 0)
        self._streak[name] = streak + 1
        return min(self.first * 2 ** streak, self.most)


class Supervisor:
    """Runs processes each in its own process group, starts again any that exits (after a
    back-off) and stops every one of them on exit."""

    def __init__(self, root: Path, env: dict[str, str], width: int = 12,
                 backoff: Backoff | None = None):
        self.root = root
        self.env = env
        self.running: list[tuple[ProcessSpec, subprocess.Popen[bytes]]] = []
        self.width = width
        self.colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        self._print_lock = threading.Lock()
        self.backoff = backoff or Backoff()
        self.restarts: dict[str, int] = {}
        self._started_at: dict[str, float] = {}
        self._due: dict[str, float] = {}  # name -> when an exited process starts again

    def say(self, name: str, line: str, index: int = -1) -> None:
        label = name.ljust(self.width)
        if self.colour:
            code = COLOURS[index % len(COLOURS)] if index >= 0 else 1
            label = f"\033[{code}m{label}\033[0m"
        with self._print_lock:
            print(f"{label} | {line}", flush=True)

    def start(self, spec: ProcessSpec) -> subprocess.Popen[bytes]:
        return self._spawn(spec, len(self.running))

    def _spawn(self, spec: ProcessSpec, index: int) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            spec.argv, cwd=self.root, env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            # Own process group: Ctrl-C reaches us alone, and we stop each group as a whole,
            # grandchildren included.
            start_new_session=True,
        )
        if index < len(self.running):
            self.running[index] = (spec, proc)
        else:
            self.running.append((spec, proc))
        self._started_at[spec.name] = time.monotonic()
        threading.Thread(target=self._pump, args=(spec.name, proc, index), daemon=True).start()
        self.say(spec.name, f"started (pid {proc.pid})", index)
        return proc

    def tend(self) -> None:
        """Schedule a restart for each process that exited, and start those that are due."""
        now = time.monotonic()
        for index, (spec, proc) in enumerate(self.running):
            name = spec.name
            if proc.poll() is None:
                continue
            if name not in self._due:
                delay = self.backoff.delay(name, now - self._started_at.get(name, now))
                self._due[name] = now + delay
                self.say(name, f"exited with code {proc.returncode}; restarting in {delay:g}s",
                         index)
            elif now >= self._due[name]:
                del self._due[name]
                self.restarts[name] = self.restarts.get(name, 0) + 1
                self.say(name, f"restarting (restart {self.restarts[name]})", index)
                self._spawn(spec, index)

    def _pump(self, name: str, proc: subprocess.Popen[bytes], index: int) -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            self.say(name, raw.decode("utf-8", "replace").rstrip("\n"), index)

    def stop_all(self) -> None:
        """SIGTERM every group (last started first), then SIGKILL what is left after a grace."""
        for _, proc in reversed(self.running):
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for spec, proc in reversed(self.running):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(spec.name, "did not stop in time; killing")
        for _, proc in self.running:
            # Whatever the leader left behind in its group goes too: no orphans.
            _signal_group(proc, signal.SIGKILL)
            if proc.poll() is None:
                proc.wait()
        self.running.clear()


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def wait_ready(sup: Supervisor, spec: ProcessSpec, proc: subprocess.Popen[bytes],
               timeout: float = 30.0) -> None:
    if spec.ready is None:
        return
    deadline = time.monotonic() + timeout
    while not answers(*spec.ready, timeout=0.5):
        if proc.poll() is not None:
            raise CliError(f"{spec.name} exited with code {proc.returncode} while starting")
        if time.monotonic() > deadline:
            raise CliError(f"{spec.name} did not answer on {spec.ready[0]}:{spec.ready[1]} "
                           f"within {timeout:.0f}s")
        time.sleep(0.2)


def banner(p: Plan) -> str:
    host, port = p.gateway
    gateway = f"http://{host}:{port}"
    lines = ["", "JII is running. Where to look:",
             f"  site         {gateway}/  (give at {gateway}/donate)",
             f"  gateway      {gateway}/api/openapi.json"]
    if p.maildir:
        lines.append(f"  mail         {p.maildir}/  (every message as an .eml file)")
    if p.localstripe_base:
        lines.append(f"  localstripe  {p.localstripe_base}  (webhooks to {gateway}{WEBHOOK_PATH})")
    lines += [f"  {note}" for note in p.notes]
    if p.localstripe_base:
        lines += ["", "Test cards on the donation page: 4242 4242 4242 4242 (paid), "
                      "4000 0027 6000 3184 (3-D Secure),",
                  "4000 0000 0000 0341 (declined); any future expiry, any CVC."]
    lines += [
        "",
        "A monthly pledge (a PaymentMethod id comes from Stripe.js on the public site;",
        "on localstripe get one for a test card with `jii dev card`):",
        "  pm=$(uv run jii dev card)",
        f"  curl -sS -X POST {gateway}/api/pledges -H 'Content-Type: application/json' \\",
        '    -d \'{"amount": 3000, "email": "hanako@example.com", "name": "Hanako", '
        '"locale": "ja", "payment_method": "\'"$pm"\'"}\'',
        "",
        "Watch the events: uv run jii events tail    Stop everything: Ctrl-C",
        "",
    ]
    return "\n".join(lines)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_all(root: Path | None = None) -> int:
    root = root or repo_root()
    check_peers(root)
    p = plan(root)
    for spec in p.processes:
        if spec.ready and answers(*spec.ready, timeout=0.3):
            raise CliError(f"{spec.name}: {spec.ready[0]}:{spec.ready[1]} is already in use "
                           "(another `make run` still running?); stop it or choose another port")
    print("Migrating databases...", flush=True)
    migrate_services(None, root)

    sup = Supervisor(root, p.env, width=max(len(spec.name) for spec in p.processes))
    # Ctrl-C, `kill` and a closed terminal all stop everything cleanly. SIGINT is installed
    # explicitly: a shell starting us in the background leaves it ignored.
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, _interrupt) for sig in stop_signals}
    try:
        for spec in p.processes:
            proc = sup.start(spec)
            if spec.name != "gateway":
                wait_ready(sup, spec, proc)
        announced = False
        while True:
            # One process exiting (a bug, a dependency away too long) must not take the others
            # down: it is started again, as compose, Kubernetes and systemd do in production.
            sup.tend()
            if not announced and answers(*p.gateway, timeout=0.2):
                print(banner(p), flush=True)
                announced = True
            time.sleep(0.3)
    except KeyboardInterrupt:
        print("\nStopping...", file=sys.stderr, flush=True)
        return 0
    finally:
        sup.stop_all()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(args) -> int:
    return run_all()
