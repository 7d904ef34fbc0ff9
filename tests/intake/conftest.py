"""Fixtures of the intake suite: one `runtime` per test on each backend (see backends.py).

PostgreSQL gets one schema per test run (migrated once, emptied between tests, dropped at
the end); SQLite gets a fresh copy of a migrated template file per test; Redis gets one
queue name per test and every key of the run is deleted at the end.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from sqlalchemy import text

from handover import migrate
from handover.runtime import Runtime
from handover.settings import Settings
from tests.intake.backends import (
    PG_SCHEMA,
    PG_SERVER,
    QUEUE_PREFIX,
    REDIS_SERVER,
    pg_url,
    reachable,
    settings_for,
    write_workspace,
)

BACKENDS = ["sqlite", "postgres"]
TABLES = "events, conversations, messages, decisions, actions, audit"
_queue_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file to copy for each test."""
    path = tmp_path_factory.mktemp("template") / "handoff.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """This run's PostgreSQL schema, migrated; dropped at the end. Skips if unreachable."""
    problem = reachable(PG_SERVER) or reachable(REDIS_SERVER)
    if problem:
        pytest.skip(f"PostgreSQL/Redis backend not available: {problem}")
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{PG_SCHEMA}"')
    try:
        migrate.upgrade(pg_url())
        yield PG_SCHEMA
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{PG_SCHEMA}" CASCADE')
        client = redis.Redis.from_url(REDIS_SERVER)
        keys = list(client.scan_iter(match=f"*{QUEUE_PREFIX}*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend of this test: `sqlite` or `postgres` (PostgreSQL + Redis)."""
    name: str = request.param
    return name


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with the test workspace file."""
    write_workspace(tmp_path)
    return tmp_path


@pytest.fixture
def make_settings(
    request: pytest.FixtureRequest, backend: str, workdir: Path, sqlite_template: Path
) -> Any:
    """Build settings for this test's backend (a fresh database and queue each test)."""
    if backend == "sqlite":
        shutil.copy(sqlite_template, workdir / "handoff.db")
    else:
        request.getfixturevalue("postgres_schema")
    queue = f"{QUEUE_PREFIX}_{next(_queue_numbers)}"

    def build(**overrides: Any) -> Settings:
        return settings_for(backend, workdir, queue, **overrides)

    return build


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    """This test's settings."""
    built: Settings = make_settings()
    return built


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime on this test's backend; its data and queue are removed afterwards."""
    runtime = Runtime.create(settings)
    try:
        yield runtime
    finally:
        clean_up(runtime)


@pytest.fixture
def make_runtime(make_settings: Any) -> Iterator[Any]:
    """Build runtimes (after editing the workspace file); each is cleaned up afterwards."""
    built: list[Runtime] = []

    def build(**overrides: Any) -> Runtime:
        built.append(Runtime.create(make_settings(**overrides)))
        return built[-1]

    yield build
    for runtime in built:
        clean_up(runtime)


def clean_up(runtime: Runtime) -> None:
    """Empty the runtime's queue and (on PostgreSQL) its tables; release its connections."""
    runtime.huey.flush()
    if runtime.db.engine.dialect.name == "postgresql":
        with runtime.db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    runtime.close()
