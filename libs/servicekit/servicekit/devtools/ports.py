"""Ports for the servers tests and local runs start on this machine."""

from __future__ import annotations

import random
import socket
from pathlib import Path


def free_port() -> int:
    """A loopback port nothing listens on, for a server a test or a local run starts.

    Chosen below the kernel's range of ports for outgoing connections. Binding port 0 gives a
    port from that range, which the kernel then hands to the next socket bound to port 0 (a
    server of another test) or to any of a run's thousands of outgoing connections, in the
    moments before the server binds it: the server fails to start, or, worse, the test talks
    to another test's server."""
    below = outgoing_ports_start()
    for _ in range(100):
        port = random.randrange(max(1024, below - 12000), below)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # a server's, or another test's
            return port
    raise RuntimeError(f"no free port below {below}")


def outgoing_ports_start() -> int:
    """Where the kernel's ports for outgoing connections begin (Linux's default, 32768, when
    the machine does not say)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768
