"""The intake's INSERT without a round trip through SQLAlchemy: compiled once, per thread.

`handover.store.Database.store_event` runs it on SQLite, where the webhook ack path's cost
is CPU: the statement is compiled once (`EventInsert`, with the column types' own bind
processors, so values are stored exactly as SQLAlchemy stores them) and executed on the
calling thread's own DBAPI connection (`ThreadConnections`), with no pool checkout.

Those connections wait for SQLite's writer lock in `execute_when_free`, not in SQLite's
busy handler: that one sleeps longer and longer (up to 100 ms a try), so against a worker
whose write transactions hold the lock most of the time an insert could wait seconds
(past Slack's 3 s); trying again every few milliseconds takes the lock between them.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Lock, local
from typing import Any

from sqlalchemy import Dialect, Engine, Insert

BUSY_DELAYS = (0.0002, 0.0005, 0.001, 0.002)
"""Seconds slept between tries while SQLite's writer lock is taken (the last one repeats)."""


def execute_when_free(connection: Any, sql: str, parameters: Sequence[Any], timeout: float) -> Any:
    """Execute one statement, trying again while the database is locked, up to `timeout` s.

    The connection must not wait itself (`busy_timeout` 0, as `ThreadConnections` sets).
    """
    deadline = time.monotonic() + timeout
    tries = 0
    while True:
        try:
            return connection.execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", None)
            if busy is None or busy & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
        time.sleep(BUSY_DELAYS[min(tries, len(BUSY_DELAYS) - 1)])
        tries += 1


@dataclass(frozen=True)
class EventInsert:
    """An INSERT compiled once for a positional DBAPI: SQL, parameter order, bind processors."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def build(cls, statement: Insert, dialect: Dialect, columns: Sequence[str]) -> EventInsert:
        """Compile `statement` for `columns`; take each column type's own bind processor."""
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        names = tuple(compiled.positiontup or ())
        table = statement.table.c
        processors = tuple(
            table[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        )
        return cls(compiled.string, names, processors)

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """The DBAPI parameters of one row, converted the way SQLAlchemy converts them."""
        return tuple(
            values[name] if process is None else process(values[name])
            for name, process in zip(self.names, self.processors, strict=True)
        )


class ThreadConnections:
    """One SQLite DBAPI connection per thread, outside the pool, for the intake INSERT.

    Made like the pool's (the dialect's connect arguments, then `configure`, the engine's
    own `connect` listener), except that they never wait for a lock themselves (`busy_timeout`
    0: see `execute_when_free`), and kept for the thread's life; `close_all()` closes them
    and threads open new ones on their next use.
    """

    def __init__(self, engine: Engine, configure: Callable[[Any, Any], None]) -> None:
        self._engine = engine
        self._configure = configure
        self._local = local()
        self._lock = Lock()
        self._open: list[Any] = []

    def get(self) -> Any:
        """Return this thread's connection, opening it on first use."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            dialect = self._engine.dialect
            cargs, cparams = dialect.create_connect_args(self._engine.url)
            connection = dialect.connect(*cargs, **cparams)
            self._configure(connection, None)
            connection.execute("PRAGMA busy_timeout=0")
            with self._lock:
                self._open.append(connection)
            self._local.connection = connection
        return connection

    def close_all(self) -> None:
        """Close every thread's connection (threads reconnect when they next insert)."""
        with self._lock:
            for connection in self._open:
                connection.close()
            self._open.clear()
            self._local = local()
