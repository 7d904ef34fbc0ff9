"""Database migrations (Alembic, `migrations/` at the top of the repository).

`upgrade(database_url)` brings a database to the newest revision; `handoff db upgrade`
and start-up (`migrate_on_start`) call it. It runs in one transaction that first takes a
lock (SQLite's writer lock via `BEGIN IMMEDIATE`; a PostgreSQL advisory lock), so
processes starting together migrate once and the others then find the schema current.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from handover.store import WRITE, make_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
ADVISORY_LOCK = 0x68616E646F6666
"""PostgreSQL advisory lock key held while migrating ("handoff" in hex)."""


def alembic_config() -> Config:
    """Return the Alembic configuration pointing at `migrations/`."""
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database at `database_url` to `revision` (default: the newest)."""
    engine = make_engine(database_url)
    try:
        with engine.execution_options(**WRITE).begin() as connection:
            if connection.dialect.name == "postgresql":
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                connection.execute(lock, {"key": ADVISORY_LOCK})
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current(database_url: str) -> str | None:
    """Return the database's current revision (None before the first migration)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
