"""psycopg's wait function for services under eventlet: ask the socket first, and park the
green thread on the hub only when the socket would block.

psycopg's `wait_selector` (green through eventlet's patched `selectors`) builds a selector and
goes through the hub on every wait, even when the socket is already readable or writable, which
a busy service pays for several times per statement (in pipeline mode once per statement).
"""

from __future__ import annotations

from eventlet.green import select as green_select
from eventlet.hubs import trampoline
from eventlet.patcher import is_monkey_patched, original
from psycopg.abc import RV, PQGen
from psycopg.waiting import (
    READY_NONE,
    READY_R,
    READY_W,
    WAIT_R,
    WAIT_RW,
    WAIT_W,
    Wait,
    wait_selector,
)

_select = original("select")


def _ready_now(fileno: int, s: Wait) -> int:
    readable, writable, _ = _select.select([fileno] if s & WAIT_R else [],
                                           [fileno] if s & WAIT_W else [], [], 0)
    return (READY_R if readable else READY_NONE) | (READY_W if writable else READY_NONE)


def _park(fileno: int, s: Wait) -> int:
    """Until the socket is ready as `s` asks, letting other green threads run meanwhile."""
    if s == WAIT_RW:
        # Eventlet parks on one direction at a time; green select() watches both (a pipeline
        # whose output is full must still read what the server sends back).
        readable, writable, _ = green_select.select([fileno], [fileno], [])
        return (READY_R if readable else READY_NONE) | (READY_W if writable else READY_NONE)
    trampoline(fileno, read=s == WAIT_R, write=s == WAIT_W)
    return _ready_now(fileno, s)


def wait_green(gen: PQGen[RV], fileno: int, interval: float = 0.0,
               timeout: float | None = None) -> RV:
    """A `psycopg.waiting` wait function: consume `gen`, waiting on `fileno` when it would
    block. A wait with a timeout (connecting), or in a process eventlet has not patched, goes
    to psycopg's own `wait_selector`."""
    if timeout is not None or not is_monkey_patched("select"):
        return wait_selector(gen, fileno, interval, timeout)
    try:
        s = next(gen)
        while True:
            ready = _ready_now(fileno, s) or _park(fileno, s)
            s = gen.send(ready)
    except StopIteration as done:
        return done.value
