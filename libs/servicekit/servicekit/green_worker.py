"""The Python that pytest-xdist starts each test worker with (`servicekit.testing` points
xdist's `popen` workers here): `python -m servicekit.green_worker -u -c CODE`.

The services run under eventlet, so every test process is monkey-patched. execnet, which carries
xdist's messages, starts a thread that receives them; in a worker that is patched only later
(by the root conftest) that thread is a real one sharing locks and queues that became green, and
the worker hangs. Patched here, before execnet's bootstrap runs, its thread and its locks are all
green from the start. Two details make that work:
- trio (which anyio's pytest plugin loads) is imported first, as in a plain run, where plugins
  load before the conftest patches: it refuses to import on a patched socket module;
- eventlet's poll hub, not epoll: execnet points the worker's stdout at /dev/null, which epoll
  cannot watch.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        import trio  # noqa: F401
    except ImportError:
        pass
    import warnings

    # as pyproject's filterwarnings do for the tests; here pytest has not read them yet
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet
    import eventlet.hubs

    eventlet.hubs.use_hub("poll")
    eventlet.monkey_patch()
    args = sys.argv[1:]
    if "-u" in args:  # what `python -u` would have done
        sys.stdout.reconfigure(write_through=True)  # type: ignore[union-attr]
        sys.stderr.reconfigure(write_through=True)  # type: ignore[union-attr]
    code = args[args.index("-c") + 1]
    sys.argv = ["-c"]
    exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})


if __name__ == "__main__":
    main()
