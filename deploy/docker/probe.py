"""Exec probe: the image's HEALTHCHECK, and Kubernetes' probes of services without an HTTP port.

`probe.py live`: PID 1 is still `nameko run` (a hung process is not detected: see
docs/operations.md). `probe.py ready`: the database answers `SELECT 1` and the broker accepts a
connection, with this container's own configuration; for the gateway (JII_SERVICE=gateway),
its own `/healthz` answers. Exit 0 when healthy, 1 otherwise.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

# nameko's config loader imports pkg_resources; the warning is noise in probe and start logs.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
CONFIG = Path(__file__).resolve().parent.parent / "config.yml"
TIMEOUT_SECONDS = 3


def live() -> None:
    cmdline = Path("/proc/1/cmdline").read_bytes().split(b"\0")
    if not any(part.endswith(b"nameko") for part in cmdline):
        raise SystemExit("PID 1 is not nameko")


def gateway_ready(config: dict) -> None:
    import urllib.request

    host, _, port = str(config.get("WEB_SERVER_ADDRESS", "127.0.0.1:8000")).rpartition(":")
    host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=TIMEOUT_SECONDS).read()


def ready() -> None:
    import psycopg
    from kombu import Connection
    from servicekit.config import amqp_uri, load_config

    config = load_config(CONFIG)
    if os.environ.get("JII_SERVICE") == "gateway":
        return gateway_ready(config)
    if config.get("DATABASE_URL"):
        with psycopg.connect(config["DATABASE_URL"], connect_timeout=TIMEOUT_SECONDS) as conn:
            conn.execute("SELECT 1")
    with Connection(amqp_uri(config), connect_timeout=TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=1)


if __name__ == "__main__":
    {"live": live, "ready": ready}[sys.argv[1] if len(sys.argv) > 1 else "ready"]()
