"""Drop the databases whose URLs arrive on stdin, one a line, until stdin closes.

The tests' own process hands each test's databases here instead of dropping them itself:
PostgreSQL runs a checkpoint for every DROP DATABASE, which can take seconds on a busy server,
and nothing in the next test waits for it.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

from servicekit.migrations import _redact, drop_database

# Drops that wait on the checkpointer at the same moment share one checkpoint, so a few at
# once keep up with many test processes where one at a time fell behind.
AT_ONCE = 4


def _drop(url: str) -> None:
    try:
        drop_database(url)
    except Exception as exc:  # noqa: BLE001 - one failure must not keep the rest
        print(f"could not drop {_redact(url)}: {exc}", file=sys.stderr, flush=True)


def main() -> None:
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        for line in sys.stdin:
            url = line.strip()
            if url:
                pool.submit(_drop, url)


if __name__ == "__main__":
    main()
