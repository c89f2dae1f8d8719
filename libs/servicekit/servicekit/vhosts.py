"""The RabbitMQ vhosts of one test process, emptied after each test and handed out again.

Nameko's `rabbit_config` gives every test a new vhost and deletes it after. Creating, permitting
and deleting an empty vhost costs the broker 34 ms of CPU, on a machine whose two cores the
broker shares with the tests, and about 900 tests ask for one. Here a vhost a test has finished
with is emptied instead:

- its queues are deleted at once, which, like deleting the vhost, cancels the consumers of the
  test's containers so that they stop at once;
- after `settle_seconds` (the management API lists a connection up to 5 s after it opens), a
  vhost that still has a connection, or holds a policy, is deleted, as Nameko would;
- otherwise what was declared meanwhile and every exchange are deleted, and the vhost, found
  empty, goes back in the pool.

A vhost's name holds the machine and the process that made it, so the vhosts of a test process
killed before it could delete them are deleted by the next (`remove_abandoned`).
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import eventlet
import structlog
from eventlet.queue import LightQueue

from servicekit.devtools.processes import process_alive

log = structlog.get_logger("servicekit.vhosts")


class VhostPool:
    """`get()` as Nameko's vhost pipeline has it: a context manager yielding a vhost name."""

    def __init__(self, manager: Any, username: str, settle_seconds: float = 6.0):
        self.manager = manager
        self.username = username
        self.settle_seconds = settle_seconds
        self.clean: LightQueue = LightQueue()
        self.recycling: dict[eventlet.greenthread.GreenThread, str] = {}
        self.made: set[str] = set()
        self.reused = 0

    @contextmanager
    def get(self) -> Iterator[str]:
        vhost = self._take()
        try:
            yield vhost
        finally:
            thread = eventlet.spawn(self._recycle, vhost)
            self.recycling[thread] = vhost
            thread.link(lambda done: self.recycling.pop(done, None))

    def wait(self) -> None:
        """Return once every vhost given back is emptied (or deleted)."""
        for thread in list(self.recycling):
            thread.wait()

    def close(self) -> None:
        """Delete every vhost of the pool at once, those being emptied too."""
        for thread, vhost in list(self.recycling.items()):
            thread.kill()
            self._delete(vhost)
        while not self.clean.empty():
            self._delete(self.clean.get_nowait())

    def _take(self) -> str:
        if not self.clean.empty():
            self.reused += 1
            return self.clean.get_nowait()
        return self._create()

    def _create(self) -> str:
        import uuid

        vhost = f"{_owner_prefix(os.getpid())}{uuid.uuid4().hex[:12]}"
        self.manager.create_vhost(vhost)
        self.manager.set_vhost_permissions(vhost, self.username, ".*", ".*", ".*")
        self.made.add(vhost)
        return vhost

    def _recycle(self, vhost: str) -> None:
        try:
            self._delete_queues(vhost)  # consumers are cancelled: their containers stop at once
            _close_pooled_connections(vhost)
            if self._settled(vhost) and self._emptied(vhost):
                self.clean.put(vhost)
                return
        except Exception as exc:  # noqa: BLE001 - a vhost that cannot be emptied is deleted
            log.warning("test vhost not emptied", vhost=vhost, error=str(exc)[:200])
        self._delete(vhost)

    def _delete_queues(self, vhost: str) -> None:
        for queue in self.manager.get_queues(vhost):
            self.manager._delete("queues", vhost, queue["name"])

    def _settled(self, vhost: str) -> bool:
        """Whether no connection to the vhost is left `settle_seconds` after the test."""
        eventlet.sleep(self.settle_seconds)
        return not self.manager._get("vhosts", vhost, "connections")

    def _emptied(self, vhost: str) -> bool:
        """Delete what the test's last moments declared and every exchange of the test's; a
        policy is not removed: the vhost is deleted instead."""
        if self.manager._get("policies", vhost):
            return False
        self._delete_queues(vhost)
        for exchange in self.manager.get_exchanges(vhost):
            if not _built_in(exchange["name"]):
                self.manager._delete("exchanges", vhost, exchange["name"])
        return not self.manager.get_queues(vhost) and all(
            _built_in(exchange["name"]) for exchange in self.manager.get_exchanges(vhost))

    def remove_abandoned(self) -> None:
        """Delete the vhosts that test processes of this machine, killed before they could
        delete their own, left behind (their names say which process made them)."""
        for vhost in (entry["name"] for entry in self.manager.get_all_vhosts()):
            owner = _owner_of(vhost)
            if owner is not None and not process_alive(owner):
                self._delete(vhost)

    def _delete(self, vhost: str) -> None:
        try:
            self.manager.delete_vhost(vhost)
        except Exception as exc:  # noqa: BLE001 - left for the broker's operator, and said so
            log.warning("test vhost not deleted", vhost=vhost, error=str(exc)[:200])
        _close_pooled_connections(vhost)


def _machine_prefix() -> str:
    """How the names of this machine's test vhosts begin (a broker may serve several)."""
    return f"jii_test_{re.sub(r'[^A-Za-z0-9-]', '-', socket.gethostname())}_"


def _owner_prefix(pid: int) -> str:
    """How the names of a process's vhosts begin."""
    return f"{_machine_prefix()}{pid}_"


def _owner_of(vhost: str) -> int | None:
    """The process of this machine that made the vhost, if one did."""
    found = re.fullmatch(re.escape(_machine_prefix()) + r"(\d+)_[0-9a-f]+", vhost)
    return int(found.group(1)) if found else None


def _built_in(exchange: str) -> bool:
    """Whether every vhost has the exchange from birth (the default one and `amq.*`)."""
    return exchange == "" or exchange.startswith("amq.")


def _close_pooled_connections(vhost: str) -> None:
    """Close the connections kombu's process-wide pools keep to the vhost (Nameko's publishers
    use them), as Nameko's pipeline does when it deletes a vhost, and forget the pools: a closed
    pool refuses to lend, and the vhost's next test needs pools of its own."""
    from collections.abc import Iterable

    from kombu.pools import connections, producers

    for group in (producers, connections):  # a producer pool lends its connection pool's
        for key, pool in list(group.items()):
            if isinstance(key, Iterable) and key[4] == vhost:
                pool.force_close_all()
                group.pop(key, None)
