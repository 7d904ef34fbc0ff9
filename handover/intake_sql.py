"""The intake's INSERT without a round trip through SQLAlchemy: compiled once, per thread.

`handover.store.Database.store_event` runs it on SQLite, where the webhook ack path's cost
is CPU: the statement is compiled once (`EventInsert`, with the column types' own bind
processors, so values are stored exactly as SQLAlchemy stores them) and executed on the
calling thread's own DBAPI connection (`ThreadConnections`), with no pool checkout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Lock, local
from typing import Any

from sqlalchemy import Dialect, Engine, Insert


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
    own `connect` listener) and kept for the thread's life; `close_all()` closes them and
    threads open new ones on their next use.
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
