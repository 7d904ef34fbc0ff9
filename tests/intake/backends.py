"""The storage backends the intake suite runs on, and helpers shared by its tests.

`sqlite`: SQLite database + huey's SQLite queue (the embedded default).
`postgres`: PostgreSQL (`postgresql://postgres@127.0.0.1:5432/test`, one schema per test
run) + Redis (`redis://127.0.0.1:6379/0`, one huey queue name per test). A backend whose
server does not answer is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from connectors.intercom import normalize as intercom
from connectors.model import Platform
from connectors.slack import normalize as slack
from connectors.zendesk import normalize as zendesk
from handover.intake import Delivery
from handover.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PG_SERVER = os.environ.get("HANDOFF_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_SERVER = os.environ.get("HANDOFF_TEST_REDIS", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]
PG_SCHEMA = f"handoff_test_{RUN_ID}"
QUEUE_PREFIX = f"handoff_test_{RUN_ID}"
WORKSPACE = "acme"

IDENTITIES = {
    "zendesk": {"bot_ids": ["21003380718093"], "self_ids": ["21003380720001"]},
    "intercom": {"self_ids": ["6023411"]},
    "slack": {
        "bot_ids": ["B06R2HQ8LKP"],
        "self_ids": ["B07H4ND0FF2"],
        "teammate_ids": ["U02KJ7S9T3M"],
    },
}
"""The ids the recorded fixtures use for the AI assistant, Handoff and teammates."""
SECRET_NAMES = {"zendesk": "ACME_ZD", "intercom": "ACME_IC", "slack": "ACME_SL"}
CONNECTORS: dict[str, Any] = {"zendesk": zendesk, "intercom": intercom, "slack": slack}


def reachable(url: str) -> str | None:
    """Return None when a TCP connection to the URL's host and port opens, else why not."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=1):
            return None
    except OSError as exc:
        return f"{parts.hostname}:{parts.port} unreachable ({exc.strerror or exc})"


def pg_url(schema: str = PG_SCHEMA) -> str:
    """Return the PostgreSQL URL whose connections use `schema`."""
    return f"{PG_SERVER}?options=-csearch_path%3D{schema}"


def write_workspace(folder: Path) -> Path:
    """Write the example workspace as `acme`, with the fixtures' identities; return its path."""
    data = yaml.safe_load((ROOT / "examples" / "workspace.yaml").read_text(encoding="utf-8"))
    data["workspace"] = WORKSPACE
    data["platforms"] = {
        name: {"webhook_secret": SECRET_NAMES[name], **ids} for name, ids in IDENTITIES.items()
    }
    path = folder / "acme.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def settings_for(backend: str, folder: Path, queue_name: str, **overrides: Any) -> Settings:
    """Return the settings of a test runtime on `backend`, files under `folder`."""
    values: dict[str, Any] = {
        "workspaces": folder / "acme.yaml",
        "queue_path": folder / "queue.db",
        "queue_name": queue_name,
        "migrate_on_start": False,
        "sweep_after_seconds": 1,
        "retention_days": 30,
    }
    if backend == "sqlite":
        values |= {"database_url": f"sqlite:///{folder / 'handoff.db'}", "redis_url": None}
    else:
        values |= {"database_url": pg_url(), "redis_url": REDIS_SERVER}
    return Settings(**(values | overrides))


def environment(settings: Settings) -> dict[str, str]:
    """Return the HANDOFF_* variables that reproduce `settings` in a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    for name in ("database_url", "queue_path", "queue_name", "workspaces", "sweep_after_seconds"):
        env[f"HANDOFF_{name.upper()}"] = str(getattr(settings, name))
    if settings.redis_url:
        env["HANDOFF_REDIS_URL"] = settings.redis_url
    env["HANDOFF_MIGRATE_ON_START"] = "false"
    return env


def fixture_body(platform: str, name: str) -> bytes:
    """Return a recorded webhook body's exact bytes."""
    return (FIXTURES / platform / f"{name}.json").read_bytes()


def fixture_names(platform: str) -> list[str]:
    """Return the names of a platform's recorded bodies."""
    return sorted(path.stem for path in (FIXTURES / platform).glob("*.json"))


def delivery(platform: str, body: bytes | dict[str, Any], **changes: Any) -> Delivery:
    """Return the delivery of a body, with the connector's own dedupe id and event type."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    values: dict[str, Any] = {
        "workspace": WORKSPACE,
        "platform": Platform(platform),
        "headers": headers,
        "body": raw,
        "received_at": datetime.now(UTC),
    } | changes
    connector = CONNECTORS[platform]
    if "event_type" not in values:
        values["event_type"] = connector.event_type(json.loads(raw))
    if "delivery_id" not in values:
        values["delivery_id"] = connector.delivery_id(headers, json.loads(raw))
    return Delivery(**values)


def wait_for(check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
