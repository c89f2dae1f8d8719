"""Run a command-line Python program (here `nameko run`) with cProfile switched on and off by
signals, so that a benchmark profiles its measured runs and not the process's start-up:
SIGUSR1 starts profiling, SIGUSR2 stops it and writes the profile to OUTPUT.

    python bench/profiled.py OUTPUT /path/to/script [args...]
"""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys


def main() -> None:
    output, script, *args = sys.argv[1:]
    profile = cProfile.Profile()

    def start(signum: int, frame: object) -> None:
        profile.enable()

    def stop(signum: int, frame: object) -> None:
        profile.disable()
        profile.dump_stats(output)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
