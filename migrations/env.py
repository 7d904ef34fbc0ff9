"""Alembic environment for Handoff: SQLite and PostgreSQL, one code path.

The connection comes from `handover.migrate.upgrade` (`config.attributes["connection"]`,
already inside a locked transaction); otherwise from `sqlalchemy.url` in the Alembic
config, else from `Settings().database_url` (the `HANDOFF_DATABASE_URL` variable).
"""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from handover.models import Base, UTCDateTime
from handover.settings import Settings
from handover.store import WRITE, database_url, make_engine

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    """Return the database URL: the Alembic config's, else the deployment settings'."""
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


def _render_item(kind: str, item: object, autogen: AutogenContext) -> str | Literal[False]:
    """Render Handoff's UTC time type as a plain `sa.DateTime(timezone=True)` in revisions."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    """Bind Alembic to a connection (batch mode on SQLite, whose ALTER TABLE is limited)."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def run_offline() -> None:
    """Write the SQL to standard output (`alembic upgrade head --sql`)."""
    context.configure(url=database_url(_url()), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate on the given connection, or on a new one in a write transaction."""
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        _configure(given)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.execution_options(**WRITE).begin() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
