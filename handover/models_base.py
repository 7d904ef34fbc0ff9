"""What every table is built on: the declarative `Base`, its key and time column types.

Times are stored in UTC and always come back timezone-aware (`UTCDateTime`); primary keys
are `Id`. The tables are in `handover.models` and `handover.models_outbox`, both on `Base`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

Id = BigInteger().with_variant(Integer(), "sqlite")
"""Primary keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC (naive UTC text on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive times; convert to UTC (and drop the offset on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return stored times as aware UTC datetimes."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of Handoff's tables."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }
