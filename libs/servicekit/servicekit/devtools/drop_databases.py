"""Drop the databases whose URLs arrive on stdin, one a line, until stdin closes.

The tests' own process hands each test's databases here instead of dropping them itself:
PostgreSQL runs a checkpoint for every DROP DATABASE, which can take seconds on a busy server,
and nothing in the next test waits for it.
"""

from __future__ import annotations

import sys

from servicekit.migrations import _redact, drop_database


def main() -> None:
    for line in sys.stdin:
        url = line.strip()
        if not url:
            continue
        try:
            drop_database(url)
        except Exception as exc:  # noqa: BLE001 - one failure must not keep the rest
            print(f"could not drop {_redact(url)}: {exc}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
