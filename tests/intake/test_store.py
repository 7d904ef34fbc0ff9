"""The store: engine factory, migrations, the dedupe constraint, UTC times."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from handover import migrate, store
from handover.models import Base, StoredEvent
from handover.runtime import Runtime
from handover.store import Database, database_url, insert_event, make_engine


def values(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "workspace": "acme",
        "platform": "slack",
        "delivery_id": "Ev1",
        "event_type": "message.channels",
        "headers": {},
        "body": "{}",
        "received_at": datetime.now(UTC),
        "status": "stored",
        "attempts": 0,
    }
    return base | changes


def test_postgres_urls_get_the_psycopg_driver() -> None:
    for url in ("postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"):
        assert database_url(url).drivername == "postgresql+psycopg"
    assert database_url("sqlite:///x.db").drivername == "sqlite"


def test_sqlite_engine_creates_its_folder_and_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'handoff.db'}")
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    engine.dispose()
    assert (tmp_path / "a" / "b" / "handoff.db").exists()
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 10000,
        "foreign_keys": 1,
    }


def test_migrations_match_the_models(runtime: Runtime) -> None:
    assert migrate.current(runtime.settings.database_url) == "0002"
    with runtime.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(runtime: Runtime) -> None:
    migrate.upgrade(runtime.settings.database_url)
    assert migrate.current(runtime.settings.database_url) == "0002"


def test_the_unique_delivery_constraint_is_the_dedupe(runtime: Runtime) -> None:
    with runtime.db.engine.begin() as connection:
        first = insert_event(connection, values())
        again = insert_event(connection, values(body='{"retry": 1}'))
        other_workspace = insert_event(connection, values(workspace="globex"))
        other_platform = insert_event(connection, values(platform="zendesk"))
    assert first is not None and again is None
    assert len({first, other_workspace, other_platform}) == 3
    with pytest.raises(IntegrityError), runtime.db.write() as session:
        session.add(StoredEvent(**values()))


def test_times_come_back_aware_in_utc(runtime: Runtime) -> None:
    moment = datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    with runtime.db.engine.begin() as connection:
        new_id = insert_event(connection, values(received_at=moment))
    with runtime.db.read() as session:
        stored = session.get(StoredEvent, new_id)
        assert stored is not None
        assert stored.received_at == moment
        assert stored.received_at.tzinfo is UTC
        later = session.scalars(
            select(StoredEvent.id).where(StoredEvent.received_at > moment - timedelta(seconds=1))
        ).all()
    assert later == [new_id]


def test_naive_times_are_refused(runtime: Runtime) -> None:
    with pytest.raises(Exception, match="naive"), runtime.db.write() as session:
        session.add(StoredEvent(**values(received_at=datetime(2024, 5, 1))))


def test_upgrade_of_an_empty_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'fresh.db'}"
    assert migrate.current(url) is None
    migrate.upgrade(url)
    database = Database.connect(url)
    with database.read() as session:
        tables = session.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        names = {row[0] for row in tables}
    database.dispose()
    assert {"events", "conversations", "messages", "decisions", "alembic_version"} <= names


def test_the_intake_insert_stores_what_sqlalchemy_stores(runtime: Runtime) -> None:
    """`store_event` (raw DBAPI on SQLite) and `insert_event` (SQLAlchemy) write the same."""
    moment = datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    row = values(received_at=moment, headers={"x-slack-retry-num": "1", "note": "é"})
    fast = runtime.db.store_event(row | {"delivery_id": "fast"})
    with runtime.db.engine.begin() as connection:
        slow = insert_event(connection, row | {"delivery_id": "slow"})
    assert fast is not None and slow is not None and fast != slow
    assert runtime.db.store_event(row | {"delivery_id": "fast", "body": "retry"}) is None
    with runtime.db.read() as session:
        stored = {e.delivery_id: e for e in session.scalars(select(StoredEvent))}
        columns = "received_at, headers, body, status, attempts"
        raw = session.execute(text(f"SELECT {columns} FROM events ORDER BY delivery_id")).all()
    assert raw[0] == raw[1]  # byte for byte the same columns ("fast" < "slow")
    for event in stored.values():
        assert event.received_at == moment and event.received_at.tzinfo is UTC
        assert event.headers == {"x-slack-retry-num": "1", "note": "é"}
        assert (event.body, event.status, event.attempts, event.swept_at) == (
            "{}",
            "stored",
            0,
            None,
        )


def test_the_intake_insert_waits_for_the_writer_lock_up_to_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'handoff.db'}"
    migrate.upgrade(url)
    database = Database.connect(url)
    holder = sqlite3.connect(tmp_path / "handoff.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # a worker's write transaction
    released = threading.Timer(0.5, holder.rollback)
    released.start()
    start = time.monotonic()
    new_id = database.store_event(values())
    waited = time.monotonic() - start
    released.join()
    assert new_id is not None
    assert 0.45 < waited < 2.0  # it waited for the lock (tries every 2 ms at most), then took it

    holder.execute("BEGIN IMMEDIATE")
    monkeypatch.setattr(store, "BUSY_TIMEOUT", 0.2)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        database.store_event(values(delivery_id="Ev2"))
    holder.rollback()
    holder.close()

    database.dispose()  # closes the per-thread connections; the next insert reconnects
    assert database.store_event(values(delivery_id="Ev2")) is not None
    database.dispose()


def test_the_migrations_build_exactly_the_models_tables(runtime: Runtime) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from handover.models import Base

    with runtime.db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
