"""Reading the store in tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from sqlalchemy import func, select

from handover.models import Conversation, StoredDecision, StoredEvent, StoredMessage
from handover.runtime import Runtime


def event(runtime: Runtime, event_id: int) -> StoredEvent:
    """The stored event."""
    with runtime.db.read() as session:
        found = session.get(StoredEvent, event_id)
        assert found is not None
        return found


def count(runtime: Runtime, model: Any) -> int:
    """How many rows a table has."""
    with runtime.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def conversations(runtime: Runtime) -> list[Conversation]:
    """Every conversation, oldest first."""
    with runtime.db.read() as session:
        return list(session.scalars(select(Conversation).order_by(Conversation.id)))


def messages(runtime: Runtime) -> list[StoredMessage]:
    """Every message in transcript order."""
    with runtime.db.read() as session:
        query = select(StoredMessage).order_by(
            StoredMessage.conversation_id, StoredMessage.episode, StoredMessage.sent_at
        )
        return list(session.scalars(query))


def decisions(runtime: Runtime) -> list[StoredDecision]:
    """Every decision row, in the order recorded."""
    with runtime.db.read() as session:
        return list(session.scalars(select(StoredDecision).order_by(StoredDecision.id)))


def pending(runtime: Runtime, task: str = "process_event") -> int:
    """How many jobs of one task (default: `process_event`) wait in the queue."""
    return sum(1 for job in runtime.huey.pending() if type(job).__name__ == task)


@contextmanager
def queue_down(runtime: Runtime) -> Iterator[None]:
    """Make the runtime's queue fail for real: its table gone, or Redis not reachable."""
    storage = runtime.huey.storage
    if runtime.settings.redis_url:
        alive = storage.conn
        dead = redis.ConnectionPool(**(storage.pool.connection_kwargs | {"port": 1}))
        storage.conn = redis.Redis(connection_pool=dead)
        try:
            yield
        finally:
            storage.conn = alive
        return
    with sqlite3.connect(runtime.settings.queue_path) as connection:
        connection.execute("DROP TABLE task")
    try:
        yield
    finally:
        storage.initialize_schema()


__all__ = ["StoredDecision", "StoredEvent", "StoredMessage"]
