"""What the benchmark scripts share: a broker vhost of their own, the local database server,
the platform's services started in the bench's process, and percentiles."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import requests

PG = "postgresql://postgres@127.0.0.1:5432"
MANAGEMENT = "http://127.0.0.1:15672/api"


class Vhost:
    """A RabbitMQ virtual host of the benchmark's own, so nothing else's queues get in."""

    def __init__(self) -> None:
        self.name = f"jii-bench-{uuid.uuid4().hex[:8]}"
        auth = ("guest", "guest")
        requests.put(f"{MANAGEMENT}/vhosts/{self.name}", auth=auth, timeout=10).raise_for_status()
        requests.put(f"{MANAGEMENT}/permissions/{self.name}/guest", auth=auth, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        self.uri = f"amqp://guest:guest@127.0.0.1:5672/{self.name}"

    def delete(self) -> None:
        requests.delete(f"{MANAGEMENT}/vhosts/{self.name}", auth=("guest", "guest"), timeout=10)


def service_runner(config: Mapping[str, Any], cls: type) -> Any:
    """A nameko ServiceRunner of one service, for `servicekit.platform.start_in_process`."""
    from nameko.runners import ServiceRunner

    runner = ServiceRunner(dict(config))
    runner.add_service(cls)
    return runner


def fresh_databases(names: tuple[str, ...]) -> dict[str, str]:
    """A migrated database of the bench's own for each service named."""
    from servicekit import platform
    from servicekit.migrations import migrate

    suffix = uuid.uuid4().hex[:8]
    databases = {name: f"{PG}/jii_bench_{name}_{suffix}" for name in names}
    for name, url in databases.items():
        migrate(url, platform.service(name).migrations())
    return databases


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
