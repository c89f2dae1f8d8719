"""What the services in this process ask PostgreSQL, per database: statements (every execute,
BEGIN and COMMIT, and the pool's connection checks), exchanges with the server (round trips:
outside a pipeline one per statement, inside one per sync), and which statements. Counted by
wrapping psycopg's entry points while `on`."""

from __future__ import annotations

from collections import Counter
from typing import Any

import psycopg


class DbCounter:
    def __init__(self) -> None:
        self.statements: Counter[str] = Counter()
        self.round_trips: Counter[str] = Counter()
        self.texts: Counter[tuple[str, str]] = Counter()  # (database, statement's start)
        self.on = False
        self._originals: dict[tuple[type, str], Any] = {}

    def install(self) -> None:
        counter = self

        def wrap(cls: type, name: str, note) -> None:
            original = getattr(cls, name)
            self._originals[(cls, name)] = original

            def counted(obj, *args, **kwargs):
                if counter.on:
                    note(obj, *args)
                return original(obj, *args, **kwargs)

            setattr(cls, name, counted)

        def statement(conn: psycopg.Connection, query: Any) -> None:
            database = conn.info.dbname
            self.statements[database] += 1
            if conn._pipeline is None:
                self.round_trips[database] += 1
            shown = query.decode() if isinstance(query, bytes) else str(query)
            self.texts[database, " ".join(shown.split())[:72]] += 1

        wrap(psycopg.Cursor, "execute",
             lambda cursor, query, *rest: statement(cursor.connection, query))
        wrap(psycopg.Connection, "_exec_command",
             lambda conn, command, *rest: statement(conn, command))
        for name in ("_sync_gen", "_exit_gen"):
            wrap(psycopg.Pipeline, name,
                 lambda pipeline: self.round_trips.update([pipeline._conn.info.dbname]))

    def uninstall(self) -> None:
        for (cls, name), original in self._originals.items():
            setattr(cls, name, original)
        self._originals.clear()

    def top(self, database: str, count: int) -> list[tuple[str, int]]:
        return [(text, n) for (db, text), n in self.texts.most_common() if db == database][:count]
