"""Everything a process needs to receive and process events, built once from `Settings`.

`Runtime.create(settings)` loads the workspaces, connects the database (applying
migrations first when `migrate_on_start` is set) and builds the huey queue: `SqliteHuey`
on `queue_path` by default, `RedisHuey` named `queue_name` when `redis_url` is set. The
tasks (`handover.jobs`) are registered on that huey instance, so the worker's feeder and
sweeper enqueue, and its consumer runs, the same task names.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from huey import RedisHuey, SqliteHuey  # type: ignore[import-untyped]
from huey.storage import SqliteStorage  # type: ignore[import-untyped]
from redis import ConnectionPool
from redis.backoff import NoBackoff
from redis.retry import Retry

from escalation.rules import RulesDetector
from handover import migrate
from handover.jobs import Tasks, register
from handover.settings import Settings
from handover.store import Database
from handover.workspaces import Workspaces

REDIS_CONNECT_TIMEOUT = 0.5
"""Seconds before an unreachable Redis counts as down (intake must answer fast)."""
REDIS_SOCKET_TIMEOUT = 10.0
"""Longer than huey's blocking read (1 s), so an idle worker is not an error."""
REDIS_RETRIES = 1
"""One immediate retry (a pooled connection the server closed); redis-py's default of 10
with back-off would hold a webhook answer for seconds while Redis is down."""


def make_huey(settings: Settings) -> Any:
    """Return the queue: Redis when `redis_url` is set, else SQLite on `queue_path`."""
    if settings.redis_url:
        pool = ConnectionPool.from_url(
            settings.redis_url,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            socket_timeout=REDIS_SOCKET_TIMEOUT,
            retry=Retry(NoBackoff(), REDIS_RETRIES),
        )
        return RedisHuey(settings.queue_name, results=False, connection_pool=pool)
    settings.queue_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        settings.queue_name,
        results=False,
        filename=str(settings.queue_path),
        storage_class=SqliteQueue,
    )


class SqliteQueue(SqliteStorage):  # type: ignore[misc]
    """huey's SQLite storage with `synchronous=NORMAL` (WAL): no fsync per enqueue.

    A job lost to a power cut is not lost work: its event is in the event store, still
    `stored`, and the sweeper enqueues it again.
    """

    def _create_connection(self) -> Any:
        connection = super()._create_connection()
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection


@dataclass(repr=False)
class Runtime:
    """Settings, workspaces, database, queue and the registered tasks of one process."""

    settings: Settings
    workspaces: Workspaces
    db: Database
    huey: Any
    tasks: Tasks = field(init=False)
    _detectors: dict[str, RulesDetector] = field(init=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.tasks = register(self)

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        """Build the runtime of a process (server or worker) from its settings."""
        workspaces = Workspaces.load(settings.workspaces, settings.secrets_file)
        if settings.migrate_on_start:
            migrate.upgrade(settings.database_url)
        database = Database.connect(settings.database_url)
        return cls(settings, workspaces, database, make_huey(settings))

    def detector(self, workspace: str) -> RulesDetector:
        """Return the workspace's detector (built once; `UnknownWorkspace` if not served)."""
        with self._lock:
            if workspace not in self._detectors:
                self._detectors[workspace] = RulesDetector(self.workspaces.policy(workspace))
            return self._detectors[workspace]

    def close(self) -> None:
        """Release database connections and the queue's connection (or Redis pool)."""
        self.db.dispose()
        self.huey.storage.close()
        pool = getattr(self.huey.storage, "pool", None)
        if pool is not None:
            pool.disconnect()

    def __repr__(self) -> str:
        queue = "redis" if self.settings.redis_url else "sqlite"
        database = self.db.engine.dialect.name
        return f"Runtime(database={database}, queue={queue}:{self.settings.queue_name})"
