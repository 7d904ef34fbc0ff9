"""Web intake fixtures: a real runtime per backend, the app around it, and store helpers.

Backends: `sqlite` (SQLite WAL + huey's SQLite queue, the embedded default) and
`postgres` (PostgreSQL in its own schema + huey's Redis queue under its own name). The
`postgres` backend is skipped, with the reason, only when PostgreSQL or Redis does not
answer on loopback. Each backend is built once per test session; tests tell their own
deliveries apart by fresh delivery ids.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import RUNTIME, create_app
from handover import maintenance
from handover.models import StoredDecision, StoredEvent
from handover.runtime import Runtime
from handover.settings import Settings
from tests.conftest import EXAMPLE_WORKSPACE
from tests.web.signing import SECRET_NAMES, SECRETS

POSTGRES_URL = os.environ.get("HANDOFF_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HANDOFF_TEST_REDIS", "redis://127.0.0.1:6379/0")
WORKSPACE = "acme-shoes"
ZENDESK_ONLY = "beta-shop"
"""A second workspace that receives Zendesk webhooks only."""


@pytest.fixture(scope="session", autouse=True)
def webhook_secrets() -> Iterator[None]:
    """The example workspace's secret names set to the test values (whatever the shell has)."""
    with pytest.MonkeyPatch.context() as patch:
        for platform, name in SECRET_NAMES.items():
            patch.setenv(name, SECRETS[platform])
        yield


@pytest.fixture(scope="session")
def workspaces_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example workspace plus `beta-shop`, which has Zendesk only."""
    folder = tmp_path_factory.mktemp("workspaces")
    text = EXAMPLE_WORKSPACE.read_text(encoding="utf-8")
    (folder / "acme.yaml").write_text(text, encoding="utf-8")
    beta: dict[str, Any] = yaml.safe_load(text)
    beta["workspace"] = ZENDESK_ONLY
    beta["platforms"] = {"zendesk": beta["platforms"]["zendesk"]}
    (folder / "beta.yaml").write_text(yaml.safe_dump(beta), encoding="utf-8")
    return folder


def _postgres_schema() -> str:
    """Create a fresh schema on the test PostgreSQL; skip when it does not answer."""
    import psycopg

    schema = f"handoff_web_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=2, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    return schema


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, connect_timeout=2, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _check_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")


def _drop_redis_queue(name: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"huey.*{name}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend of the tests that store (`sqlite` or `postgres` + Redis)."""
    return str(request.param)


@pytest.fixture(scope="session")
def runtime(
    backend: str, workspaces_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runtime]:
    """A migrated runtime on the backend, torn down (schema, queue) after the session."""
    folder = tmp_path_factory.mktemp(f"store-{backend}")
    name = f"handoff_web_{uuid.uuid4().hex[:10]}"
    settings: dict[str, Any] = {"workspaces": workspaces_dir, "queue_name": name}
    schema = None
    if backend == "postgres":
        _check_redis()
        schema = _postgres_schema()
        settings["database_url"] = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        settings["redis_url"] = REDIS_URL
    else:
        settings["database_url"] = f"sqlite:///{folder / 'handoff.db'}"
        settings["queue_path"] = folder / "queue.db"
    built = Runtime.create(Settings(**settings))
    try:
        yield built
    finally:
        built.huey.flush()
        built.close()
        if schema is not None:
            _drop_schema(schema)
            _drop_redis_queue(name)


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> Flask:
    return create_app({RUNTIME: runtime})


@pytest.fixture()
def client(app: Flask, runtime: Runtime) -> FlaskClient:
    drain(runtime)  # start every test with an empty queue
    return app.test_client()


def event_rows(runtime: Runtime, delivery_id: str | None = None) -> list[StoredEvent]:
    """Stored events (all, or one delivery's)."""
    query = select(StoredEvent)
    if delivery_id is not None:
        query = query.where(StoredEvent.delivery_id == delivery_id)
    with runtime.db.read() as session:
        return list(session.scalars(query))


def event_count(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(StoredEvent)) or 0)


def decisions_of(runtime: Runtime, event_id: int) -> list[StoredDecision]:
    with runtime.db.read() as session:
        query = select(StoredDecision).where(StoredDecision.event_id == event_id)
        return list(session.scalars(query))


def drain(runtime: Runtime) -> int:
    """Do what a worker does until nothing is left: feed newly stored events to the queue,
    run every queued job (dequeue, execute, actions too); return how many events ran."""
    events = 0
    while maintenance.feed(runtime) or runtime.huey.pending_count():
        task = runtime.huey.dequeue()  # Redis's dequeue blocks for a second when empty
        if task is not None:
            runtime.huey.execute(task)
            events += type(task).__name__ == "process_event"
    return events
