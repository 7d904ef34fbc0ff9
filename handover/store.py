"""The event store: engine factory, transactions, and the queries intake and jobs share.

SQLite runs in WAL mode with `synchronous=NORMAL`, a busy timeout and foreign keys on;
SQLAlchemy emits BEGIN itself so that write transactions can be `BEGIN IMMEDIATE` (taking
SQLite's single writer lock up front, so read-then-write never fails half-way).
PostgreSQL uses psycopg 3; `postgresql://` URLs are given that driver.

The intake's INSERT (`Database.store_event`, once per webhook) is compiled once per engine.
On SQLite it is one autocommit statement on the calling thread's own connection: SQLite
takes its writer lock, inserts and commits inside a single call that releases the GIL, so
the lock is never held while the thread waits for the GIL (a `BEGIN IMMEDIATE ... COMMIT`
transaction holds it across three calls, and the other process's writers then sleep in
SQLite's busy handler), and no pool checkout is paid per request. PostgreSQL runs the
same INSERT in a short write transaction from the pool.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Dialect, Engine, create_engine, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from handover.intake_sql import EventInsert, ThreadConnections, execute_when_free
from handover.models import Base, StoredEvent

SQLITE_BUSY_TIMEOUT_MS = 10_000
BUSY_TIMEOUT = SQLITE_BUSY_TIMEOUT_MS / 1000
WRITE = {"handoff_write": True}
"""Execution options of a write transaction (BEGIN IMMEDIATE on SQLite)."""
DEDUPE_KEY = ("workspace", "platform", "delivery_id")
"""The columns of the UNIQUE constraint that deduplicates deliveries."""
INTAKE_COLUMNS = (*DEDUPE_KEY, "event_type", "headers", "body", "received_at", "status", "attempts")
"""The columns the intake writes (`store_event`'s `values` keys)."""


def database_url(url: str) -> URL:
    """Return the SQLAlchemy URL, giving plain PostgreSQL URLs the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str) -> Engine:
    """Create the engine for a database URL (SQLite file or PostgreSQL).

    `hide_parameters`: an SQL error never carries the bound values (message texts,
    emails) into logs or the stored error reasons.
    """
    parsed = database_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per connection: SQLAlchemy owns BEGIN; WAL, NORMAL sync, busy timeout, foreign keys."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """Emit BEGIN, or BEGIN IMMEDIATE for write transactions."""
    write = connection.get_execution_options().get("handoff_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@dataclass(frozen=True)
class Database:
    """An engine with its two session factories: reads, and write transactions."""

    engine: Engine
    write_engine: Engine
    sessions: sessionmaker[Session]
    writer: sessionmaker[Session]
    intake: EventInsert | None = field(init=False)
    """The intake INSERT compiled for SQLite's driver (None on other engines)."""
    intake_connections: ThreadConnections = field(init=False)

    def __post_init__(self) -> None:
        dialect = self.engine.dialect
        compiled = None
        if dialect.name == "sqlite":
            statement = _event_upsert(dialect)
            compiled = EventInsert.build(statement, dialect, INTAKE_COLUMNS)
        object.__setattr__(self, "intake", compiled)
        object.__setattr__(
            self, "intake_connections", ThreadConnections(self.engine, _sqlite_connect)
        )

    @classmethod
    def connect(cls, url: str) -> Database:
        """Create the engine and session factories for a database URL."""
        engine = make_engine(url)
        write_engine = engine.execution_options(**WRITE)
        return cls(
            engine,
            write_engine,
            sessionmaker(engine, expire_on_commit=False),
            sessionmaker(write_engine, expire_on_commit=False),
        )

    def write(self) -> AbstractContextManager[Session]:
        """Open a write transaction (`BEGIN IMMEDIATE` on SQLite) that commits on success."""
        return self.writer.begin()

    def write_connection(self) -> AbstractContextManager[Connection]:
        """Open a Core write transaction (for the intake's single INSERT)."""
        return self.write_engine.begin()

    def store_event(self, values: dict[str, Any]) -> int | None:
        """INSERT a new delivery (`INTAKE_COLUMNS`) unless stored; return its id or None.

        Committed when this returns (see the module docstring for how, on each engine).
        """
        if self.intake is None:
            with self.write_connection() as connection:
                return insert_event(connection, values)
        connection = self.intake_connections.get()  # autocommit: one statement, one commit
        parameters = self.intake.parameters(values)
        cursor = execute_when_free(connection, self.intake.sql, parameters, BUSY_TIMEOUT)
        new_id: int | None = cursor.lastrowid if cursor.rowcount == 1 else None
        return new_id

    def read(self) -> Session:
        """Open a session for reading (use it as a context manager)."""
        return self.sessions()

    def dispose(self) -> None:
        """Close every pooled connection and the intake's per-thread ones."""
        self.intake_connections.close_all()
        self.engine.dispose()


def upsert(dialect: Dialect, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """Return the dialect's INSERT, which has ON CONFLICT DO NOTHING on both engines."""
    if dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def _event_upsert(dialect: Dialect) -> postgresql.Insert | sqlite.Insert:
    """`INSERT INTO events ... ON CONFLICT (delivery key) DO NOTHING`, values as parameters."""
    return upsert(dialect, StoredEvent).on_conflict_do_nothing(index_elements=DEDUPE_KEY)


_RETURNING: dict[str, Any] = {}
"""`_event_upsert(...) RETURNING id` per dialect name, built once (see `insert_event`)."""


def insert_event(connection: Connection, values: dict[str, Any]) -> int | None:
    """INSERT one event unless its delivery is already stored; return the new id or None.

    The statement is built once per dialect and the row passed as parameters: building it
    with `.values(**row)` on every call cost more than the INSERT itself.
    """
    statement = _RETURNING.get(connection.dialect.name)
    if statement is None:
        table = StoredEvent.__table__
        statement = _event_upsert(connection.dialect).returning(table.c.id)
        _RETURNING[connection.dialect.name] = statement
    new_id: int | None = connection.execute(statement, values).scalar_one_or_none()
    return new_id


def existing_event_id(connection: Connection, workspace: str, platform: str, delivery: str) -> int:
    """Return the id of the stored event of a delivery (after a duplicate insert)."""
    table = StoredEvent.__table__
    query = select(table.c.id).where(
        table.c.workspace == workspace,
        table.c.platform == platform,
        table.c.delivery_id == delivery,
    )
    found: int = connection.execute(query).scalar_one()
    return found


def lock_event(session: Session, event_id: int) -> StoredEvent | None:
    """Load an event inside a write transaction, row-locked on PostgreSQL."""
    query = select(StoredEvent).where(StoredEvent.id == event_id).with_for_update()
    return session.scalars(query).one_or_none()


def list_events(
    session: Session, *, failed_only: bool, workspace: str | None, limit: int
) -> list[StoredEvent]:
    """Return stored events, newest first, optionally only failed ones or one workspace's."""
    query = select(StoredEvent).order_by(StoredEvent.id.desc()).limit(limit)
    if failed_only:
        query = query.where(StoredEvent.status == "failed")
    if workspace is not None:
        query = query.where(StoredEvent.workspace == workspace)
    return list(session.scalars(query))
