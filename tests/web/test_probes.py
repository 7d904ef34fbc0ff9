"""Liveness, readiness and the URL checks platforms send (HEAD / GET): nothing is stored."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from huey import RedisHuey, SqliteHuey  # type: ignore[import-untyped]
from redis import ConnectionPool

from app import RUNTIME, create_app
from handover.runtime import Runtime
from handover.settings import Settings
from handover.store import Database
from handover.workspaces import Workspaces
from tests.web.conftest import WORKSPACE, ZENDESK_ONLY, event_count
from tests.web.signing import signed


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok"})


def test_readyz_when_database_and_queue_answer(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "database": "ok", "queue": "ok", "secrets": "ok"}


def test_readyz_names_a_needed_secret_that_is_not_set(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACME_SLACK_SIGNING_SECRET")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["secrets"] == (
        "missing: ACME_SLACK_SIGNING_SECRET (acme-shoes: platforms.slack.webhook_secret)"
    )
    assert "local-demo" not in response.get_data(as_text=True)


def test_head_and_get_probes_answer_200_and_store_nothing(
    client: FlaskClient, runtime: Runtime
) -> None:
    before = event_count(runtime)
    for platform in ("zendesk", "intercom", "slack"):
        url = f"/webhooks/{platform}/{WORKSPACE}"
        head, get = client.head(url), client.get(url)
        assert (head.status_code, get.status_code, get.json) == (200, 200, {"status": "ok"})
        assert head.get_data() == b""
    assert client.head(f"/webhooks/slack/{ZENDESK_ONLY}").status_code == 404
    assert client.get("/webhooks/intercom/no-such-shop").json == {"error": "not found"}
    assert event_count(runtime) == before


def test_other_methods_are_405_in_json(client: FlaskClient) -> None:
    response = client.put(f"/webhooks/zendesk/{WORKSPACE}")
    assert response.status_code == 405
    assert response.json == {"error": "method not allowed"}


def _broken_runtime(tmp_path: Path, workspaces: Path, *, database: bool, queue: bool) -> Runtime:
    """A runtime whose database and / or queue point at a closed loopback port."""
    good_db = f"sqlite:///{tmp_path / 'ok.db'}"
    db_url = good_db if database else "postgresql://postgres@127.0.0.1:9/none?connect_timeout=2"
    if queue:
        huey = SqliteHuey(f"q{uuid.uuid4().hex[:8]}", filename=str(tmp_path / "q.db"))
    else:
        pool = ConnectionPool.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)
        huey = RedisHuey("broken", connection_pool=pool)
    settings = Settings(database_url=db_url, workspaces=workspaces, migrate_on_start=False)
    return Runtime(settings, Workspaces.load(workspaces), Database.connect(db_url), huey)


def test_readyz_is_503_naming_what_is_unreachable(tmp_path: Path, workspaces_dir: Path) -> None:
    no_db = create_app(
        {RUNTIME: _broken_runtime(tmp_path, workspaces_dir, database=False, queue=True)}
    )
    response = no_db.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "database": "unreachable (OperationalError)",
        "queue": "ok",
        "secrets": "ok",
    }
    no_queue = _broken_runtime(tmp_path, workspaces_dir, database=True, queue=False)
    response = create_app({RUNTIME: no_queue}).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json is not None
    assert (response.json["database"], response.json["queue"][:11]) == ("ok", "unreachable")
    assert create_app({RUNTIME: no_queue}).test_client().get("/healthz").status_code == 200


def test_a_store_failure_is_500_so_the_platform_retries(
    tmp_path: Path, workspaces_dir: Path
) -> None:
    runtime = _broken_runtime(tmp_path, workspaces_dir, database=False, queue=True)
    body = b'{"type": "zen:event-type:ticket.comment_added", "id": "z-500"}'
    client = create_app({RUNTIME: runtime}).test_client()
    response = client.post(
        f"/webhooks/zendesk/{WORKSPACE}", data=body, headers=signed("zendesk", body)
    )
    assert (response.status_code, response.json) == (500, {"error": "internal error"})
