"""The whole path with real signatures and two running workers, on SQLite and PostgreSQL+Redis.

For each platform a signed webhook is POSTed three times through the Flask app; two
embedded workers (each a huey consumer with its feeder) process the event and run the
outbox against faithful fakes of the platform's API. Every request goes out once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
import respx
from sqlalchemy import select

from app import RUNTIME, create_app
from handover import worker
from handover.clients import Clients
from handover.models import StoredAction
from handover.runtime import Runtime
from tests.connectors.slack_fake import SlackFake
from tests.intake.backends import SECRET_NAMES, wait_for
from tests.intake.flow import body, slack_message, zendesk_comment
from tests.intake.handover_env import (
    SECRETS,
    act_for_real,
    fake_builder,
    intercom_routes,
    zendesk_routes,
)
from tests.web.signing import SIGNERS

WEBHOOK_SECRETS = {name: f"{platform}-webhook-secret" for platform, name in SECRET_NAMES.items()}
FINAL = {"done", "skipped", "dead", "cancelled"}


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake() as fake:
        yield fake


@pytest.fixture
def live(make_runtime: Any, workdir: Path, slack: SlackFake, monkeypatch: Any) -> Runtime:
    for name, value in {**SECRETS, **WEBHOOK_SECRETS}.items():
        monkeypatch.setenv(name, value)
    act_for_real(workdir / "acme.yaml")
    runtime: Runtime = make_runtime()
    runtime.clients = Clients(runtime.workspaces, build=fake_builder(slack))
    return runtime


def escalating(platform: str) -> bytes:
    if platform == "zendesk":
        payload = zendesk_comment(80001, "I want to talk to a person", "2026-05-02T10:30:00Z", "w1")
    elif platform == "intercom":
        payload = body("intercom", "conversation.user.replied")
    else:
        payload = slack_message("1717000000.123400", "Please let me talk to a human", "EvW1")
    return json.dumps(payload).encode()


def post_three_times(runtime: Runtime, platform: str) -> None:
    client = create_app({RUNTIME: runtime}).test_client()
    raw = escalating(platform)
    secret = WEBHOOK_SECRETS[SECRET_NAMES[platform]]
    for _ in range(3):
        headers = {
            "Content-Type": "application/json",
            **SIGNERS[platform](secret, raw, time.time()),
        }
        answer = client.post(f"/webhooks/{platform}/acme", data=raw, headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)


def settled(runtime: Runtime) -> list[StoredAction] | None:
    with runtime.db.read() as session:
        rows = list(session.scalars(select(StoredAction).order_by(StoredAction.id)))
    return rows if rows and all(row.status in FINAL for row in rows) else None


def run_two_workers(runtime: Runtime) -> list[StoredAction]:
    workers = [worker.start_embedded(runtime, workers=2) for _ in range(2)]
    try:
        rows: list[StoredAction] = wait_for(lambda: settled(runtime), timeout=20)
        return rows
    finally:
        for running in workers:
            running.stop()


def test_zendesk_signed_webhook_three_times_two_workers(backend: str, live: Runtime) -> None:
    with responses.RequestsMock() as mock:
        zendesk_routes(mock, "5158")
        post_three_times(live, "zendesk")
        rows = run_two_workers(live)
        sent = [(call.request.method, call.request.url) for call in mock.calls]
    assert [row.status for row in rows] == ["done"] * 4
    ticket = "https://acme.zendesk.com/api/v2/tickets/5158"
    # the actions run concurrently: tags once, and note, assignment and reply (3 ticket PUTs)
    assert sorted(sent) == [("PUT", f"{ticket}.json")] * 3 + [("PUT", f"{ticket}/tags.json")]


def test_intercom_signed_webhook_three_times_two_workers(backend: str, live: Runtime) -> None:
    with respx.mock(assert_all_called=False) as router:
        intercom_routes(router, "215469620112938")
        post_three_times(live, "intercom")
        rows = run_two_workers(live)
        paths = [call.request.url.path for call in router.calls]
    assert [row.status for row in rows] == ["done"] * 4
    conversation = "/conversations/215469620112938"
    assert paths.count(f"{conversation}/reply") == 2  # the note and the public reply
    assert paths.count(f"{conversation}/parts") == 1  # the assignment
    assert paths.count(f"{conversation}/tags") == 2  # sys_escalation, handoff_user_request


def test_slack_signed_webhook_three_times_two_workers(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    post_three_times(live, "slack")
    rows = run_two_workers(live)
    assert [row.status for row in rows] == ["done", "done", "skipped", "done"]
    assert sorted(call.api_method for call in slack.calls()) == [
        "chat.getPermalink",
        "chat.postMessage",
        "chat.postMessage",
        "reactions.add",
    ]
