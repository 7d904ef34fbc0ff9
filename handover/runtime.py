"""Everything a process needs to receive and process events, built once from `Settings`.

`Runtime.create(settings)` loads the workspaces, connects the database (applying
migrations first when `migrate_on_start` is set) and builds the huey queue: `SqliteHuey`
on `queue_path` by default, `RedisHuey` named `queue_name` when `redis_url` is set. The
tasks (`handover.jobs`) are registered on that huey instance, so the worker's feeder and
sweeper enqueue, and its consumer runs, the same task names.

While the queue (or the database) fails, the worker's loops wait with `Backoff` (0.5 s
doubled up to `BACKOFF_MAX` seconds) and report through one shared `Outage`: one warning
when the failures start, a reminder at most every `REMIND_EVERY` seconds, one info line
on recovery. Log lines name the error, never a password (URL credentials are masked).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from huey import RedisHuey, SqliteHuey  # type: ignore[import-untyped]
from huey.storage import SqliteStorage  # type: ignore[import-untyped]
from redis import ConnectionPool
from redis.backoff import NoBackoff
from redis.retry import Retry

from escalation.rules import RulesDetector
from handover import migrate
from handover.clients import Clients
from handover.jobs import Tasks, register
from handover.observability import get_logger
from handover.settings import Settings
from handover.store import Database
from handover.teammates import Teammates
from handover.workspaces import Workspaces

RUNTIME_KEY = "HANDOFF_RUNTIME"
"""The Flask config key under which the web app keeps its `Runtime`."""
REDIS_CONNECT_TIMEOUT = 0.5
"""Seconds before an unreachable Redis counts as down (intake must answer fast)."""
REDIS_SOCKET_TIMEOUT = 10.0
"""Longer than huey's blocking read (1 s), so an idle worker is not an error."""
REDIS_RETRIES = 1
"""One immediate retry (a pooled connection the server closed); redis-py's default of 10
with back-off would hold a webhook answer for seconds while Redis is down."""
BACKOFF_INITIAL = 0.5
"""Seconds a worker loop waits after the first failure in a row (doubled per failure)."""
BACKOFF_MAX = 30.0
"""The longest wait between two tries while a dependency keeps failing."""
REMIND_EVERY = 60.0
"""An outage that goes on is logged again at most this often."""
ERROR_CHARS = 300
"""Longest error text in a log line."""
_URL_CREDENTIALS = re.compile(r"([a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)
log = get_logger("worker")


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


def url_passwords(*urls: str | None) -> tuple[str, ...]:
    """Return the passwords written in these URLs (userinfo or `?password=`), to mask."""
    found: list[str] = []
    for url in filter(None, urls):
        parts = urlsplit(url)
        for secret in [parts.password or "", *parse_qs(parts.query).get("password", [])]:
            found += [secret, unquote(secret)]
    return tuple(dict.fromkeys(secret for secret in found if secret))


def describe(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """Return `Type: message` for a log line: URL credentials and `secrets` masked, shortened."""
    text = _URL_CREDENTIALS.sub(r"\1***@", str(exc))
    for secret in secrets:
        text = text.replace(secret, "***")
    return f"{type(exc).__name__}: {text[:ERROR_CHARS]}"


class Outage:
    """Failures of one dependency, logged without flooding; shared by the loops that use it.

    The first failure logs a warning `<name>.failed` with the reason; while failures go
    on, `<name>.still_failing` at most every `remind_every` seconds (by `clock`); the
    first success afterwards one info `<name>.recovered`. Thread-safe.
    """

    def __init__(
        self,
        name: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        remind_every: float = REMIND_EVERY,
        secrets: Iterable[str] = (),
    ) -> None:
        self.name = name
        self._clock = clock
        self._remind_every = remind_every
        self._secrets = tuple(secrets)
        self._lock = threading.Lock()
        self._since: float | None = None
        self._logged_at = 0.0
        self._failures = 0

    @property
    def failing(self) -> bool:
        """Whether the dependency failed last time it was used."""
        return self._since is not None

    def failed(self, exc: BaseException) -> None:
        """Count a failure; log it if it starts an outage or a reminder is due."""
        with self._lock:
            now = self._clock()
            self._failures += 1
            if self._since is None:
                self._since = self._logged_at = now
                log.warning(f"{self.name}.failed", error=describe(exc, self._secrets))
            elif now - self._logged_at >= self._remind_every:
                self._logged_at = now
                log.warning(
                    f"{self.name}.still_failing",
                    error=describe(exc, self._secrets),
                    failures=self._failures,
                    seconds=round(now - self._since, 1),
                )

    def succeeded(self) -> None:
        """End an outage, if there is one, with one info line."""
        with self._lock:
            if self._since is None:
                return
            seconds = round(self._clock() - self._since, 1)
            log.info(f"{self.name}.recovered", failures=self._failures, seconds=seconds)
            self._since, self._failures = None, 0


@dataclass
class Backoff:
    """One loop's waits while its `outage` lasts: `initial` seconds, doubled, at most `cap`."""

    outage: Outage
    initial: float = BACKOFF_INITIAL
    cap: float = BACKOFF_MAX
    _delay: float = field(init=False, default=0.0)

    def failed(self, exc: BaseException) -> float:
        """Record a failure (logged by the outage); return the seconds to wait before a retry."""
        self.outage.failed(exc)
        self._delay = min(self.cap, self._delay * 2 if self._delay else self.initial)
        return self._delay

    def succeeded(self) -> None:
        """Record a success: the next failure waits `initial` again."""
        self._delay = 0.0
        self.outage.succeeded()


@dataclass(repr=False)
class Runtime:
    """Settings, workspaces, database, queue and the registered tasks of one process."""

    settings: Settings
    workspaces: Workspaces
    db: Database
    huey: Any
    tasks: Tasks = field(init=False)
    clients: Clients = field(init=False)
    teammates: Teammates = field(init=False)
    """The platform clients actions run through (tests swap in ones aimed at fakes)."""
    _detectors: dict[str, RulesDetector] = field(init=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.tasks = register(self)
        self.clients = Clients(self.workspaces)
        self.teammates = Teammates()

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

    def outage(self, name: str, clock: Callable[[], float] = time.monotonic) -> Outage:
        """Return a new `Outage` whose log lines mask the database and queue passwords."""
        secrets = url_passwords(self.settings.redis_url, self.settings.database_url)
        return Outage(name, clock=clock, secrets=secrets)

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
