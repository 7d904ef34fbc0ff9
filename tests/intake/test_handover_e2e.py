"""End to end on SQLite and on PostgreSQL + Redis: a signed webhook's escalation goes out
as tag, note, assignment and reply, exactly once, against faithful fakes of each API.

Also: duplicate deliveries, two workers racing, a timeout after the platform accepted a
note (found again by its marker), 429 / 5xx / 4xx paths, suspension with the state API,
hand-back, and dry run.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
import respx
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app import RUNTIME, create_app
from handover import act, outbox
from handover.clients import Clients
from handover.models import ActionStatus, StoredAction, utcnow
from handover.runtime import Runtime
from tests.connectors.slack_fake import SlackFake
from tests.intake import helpers
from tests.intake.flow import body, process, slack_message, zendesk_comment
from tests.intake.handover_env import (
    INTERCOM,
    SECRETS,
    ZENDESK,
    act_for_real,
    fake_builder,
    intercom_routes,
    zendesk_routes,
)

TICKET, INTERCOM_CONVERSATION = "5158", "215469620112938"
SLACK_ROOT = "1717000000.123400"
SLACK_CONVERSATION = f"C07QX4M2B1N:{SLACK_ROOT}"


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake() as fake:
        yield fake


@pytest.fixture
def live(
    make_runtime: Any, workdir: Path, slack: SlackFake, monkeypatch: pytest.MonkeyPatch
) -> Runtime:
    """A runtime that acts for real (dry run off) through clients aimed at the fakes."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    act_for_real(workdir / "acme.yaml")
    runtime: Runtime = make_runtime()
    runtime.clients = Clients(runtime.workspaces, build=fake_builder(slack))
    return runtime


def escalating(platform: str) -> dict[str, Any]:
    """A customer message that asks for a person, on each platform."""
    if platform == "zendesk":
        return zendesk_comment(
            70001, "Can I talk to a person please?", "2026-05-02T10:30:00Z", "z1"
        )
    if platform == "intercom":
        return body("intercom", "conversation.user.replied")  # "a real person please"
    return slack_message(SLACK_ROOT, "Please let me talk to a human", "EvE2E1")


def actions(runtime: Runtime) -> list[StoredAction]:
    with runtime.db.read() as session:
        return list(session.scalars(select(StoredAction).order_by(StoredAction.id)))


def drain(runtime: Runtime, rounds: int = 3) -> None:
    """Run every due action, as the worker would (also retries made due)."""
    for _ in range(rounds):
        for row in actions(runtime):
            act.run_action(runtime, row.id)


def make_due(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        past = utcnow() - timedelta(seconds=1)
        session.execute(update(StoredAction).values(next_attempt_at=past, lease_until=None))


def test_zendesk_escalation_tags_notes_assigns_and_replies_once(
    backend: str, live: Runtime
) -> None:
    with responses.RequestsMock() as mock:
        zendesk_routes(mock, TICKET)
        for _ in range(3):  # the platform delivers the same webhook three times
            process(live, "zendesk", escalating("zendesk"))
        drain(live)
        calls = [(c.request.method, c.request.url, json.loads(c.request.body)) for c in mock.calls]
        assert mock.calls[0].request.headers["Authorization"].startswith("Basic ")
    tags, note, assign, reply = calls
    assert tags == (
        "PUT",
        f"{ZENDESK}/tickets/{TICKET}/tags.json",
        {"tags": ["sys_escalation", "handoff_user_request"]},
    )
    assert note[:2] == ("PUT", f"{ZENDESK}/tickets/{TICKET}.json")
    assert note[2]["ticket"]["comment"]["public"] is False
    assert "Can I talk to a person please?" in note[2]["ticket"]["comment"]["html_body"]
    assert assign[2] == {"ticket": {"id": int(TICKET), "group_id": 360001}}
    assert reply[2]["ticket"]["comment"]["public"] is True
    assert [row.status for row in actions(live)] == ["done"] * 4


def test_intercom_escalation_acts_once_with_the_admin(backend: str, live: Runtime) -> None:
    with respx.mock(assert_all_called=False) as router:
        intercom_routes(router, INTERCOM_CONVERSATION)
        for _ in range(3):
            process(live, "intercom", escalating("intercom"))
        drain(live)
        sent = [
            (c.request.method, c.request.url.path, json.loads(c.request.content))
            for c in router.calls
        ]
        first = router.calls[0].request
    conversation = f"/conversations/{INTERCOM_CONVERSATION}"
    paths = [path for _, path, _ in sent]
    assert paths == [
        "/tags",
        f"{conversation}/tags",
        "/tags",
        f"{conversation}/tags",
        f"{conversation}/reply",
        f"{conversation}/parts",
        f"{conversation}/reply",
    ]
    note, assign, reply = sent[4][2], sent[5][2], sent[6][2]
    assert note["message_type"] == "note" and note["admin_id"] == "6023411"
    assert assign == {
        "message_type": "assignment",
        "type": "team",
        "admin_id": "6023411",
        "assignee_id": "5001",
    }
    assert reply["message_type"] == "comment"
    request = first
    assert request.headers["Authorization"] == f"Bearer {SECRETS['ACME_IC_TOKEN']}"
    assert request.headers["Intercom-Version"] == "2.14"
    assert str(request.url).startswith(INTERCOM)


def test_slack_escalation_posts_to_the_target_channel_once(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    for _ in range(3):
        process(live, "slack", escalating("slack"))
    drain(live)
    methods = [call.api_method for call in slack.calls()]
    assert methods == ["reactions.add", "chat.getPermalink", "chat.postMessage", "chat.postMessage"]
    reaction, _, note, reply = slack.calls()
    assert reaction.body["name"] == "rotating_light" and reaction.body["timestamp"] == SLACK_ROOT
    assert note.body["channel"] == "C0SUPPORT"
    actions_block = next(b for b in note.body["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions_block["elements"]] == [
        "handoff_take",
        "handoff_handback",
    ]
    assert note.body["metadata"]["event_payload"]["marker"].startswith("hnd-")
    assert reply.body["channel"] == "C07QX4M2B1N" and reply.body["thread_ts"] == SLACK_ROOT
    assert note.header("Authorization") == f"Bearer {SECRETS['ACME_SL_TOKEN']}"


def test_two_workers_racing_send_each_action_once(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    process(live, "slack", escalating("slack"))
    ids = [row.id for row in actions(live)]
    threads = [threading.Thread(target=act.run_action, args=(live, i)) for i in ids * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(slack.calls("chat.postMessage")) == 2  # the note and the reply, once each
    assert len(slack.calls("reactions.add")) == 1
    assert all(row.status in ("done", "skipped") and row.attempts == 1 for row in actions(live))


def test_a_note_accepted_before_a_timeout_is_found_by_its_marker_not_posted_again(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    slack.respond("chat.postMessage", delay=1.0, once=True)  # Slack takes it, we time out
    process(live, "slack", escalating("slack"))
    note = next(row for row in actions(live) if row.kind == "note")
    assert act.run_action(live, note.id) is ActionStatus.RETRY
    marker = note.payload["marker"]
    message = {
        "ts": f"{time.time():.6f}",
        "metadata": {"event_type": "handoff_note", "event_payload": {"marker": marker}},
    }
    slack.respond("conversations.history", {"ok": True, "messages": [message], "has_more": False})
    make_due(live)
    assert act.run_action(live, note.id) is ActionStatus.DONE
    assert len(slack.calls("chat.postMessage")) == 1
    assert len(slack.calls("conversations.history")) == 1


def test_rate_limits_wait_for_retry_after_and_4xx_is_dead_lettered(
    backend: str, live: Runtime
) -> None:
    with responses.RequestsMock() as mock:
        mock.add(
            responses.PUT,
            f"{ZENDESK}/tickets/{TICKET}/tags.json",
            status=429,
            headers={"Retry-After": "7"},
        )
        mock.add(
            responses.PUT,
            f"{ZENDESK}/tickets/{TICKET}.json",
            status=422,
            json={"error": "RecordInvalid", "description": "Comment limit reached"},
        )
        process(live, "zendesk", escalating("zendesk"))
        rows = {row.kind: row for row in actions(live)}
        before = utcnow()
        assert act.run_action(live, rows["tag"].id) is ActionStatus.RETRY
        assert act.run_action(live, rows["note"].id) is ActionStatus.DEAD
    after = {row.kind: row for row in actions(live)}
    assert after["tag"].last_status == 429
    waited = (after["tag"].next_attempt_at - before).total_seconds()
    assert 6 <= waited <= 8
    assert after["note"].last_status == 422 and "Comment limit reached" in (
        after["note"].last_error or ""
    )
    assert act.run_action(live, rows["tag"].id) is None  # not due yet


def test_server_errors_retry_with_backoff_then_dead_letter(backend: str, live: Runtime) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.PUT, f"{ZENDESK}/tickets/{TICKET}/tags.json", status=503)
        process(live, "zendesk", escalating("zendesk"))
        tag = next(row for row in actions(live) if row.kind == "tag")
        results = []
        for _ in range(3):  # max_attempts is 3 in this workspace
            make_due(live)
            results.append(act.run_action(live, tag.id))
    assert results == [ActionStatus.RETRY, ActionStatus.RETRY, ActionStatus.DEAD]
    dead = next(row for row in actions(live) if row.kind == "tag")
    assert dead.attempts == 3 and "gave up after 3 attempts" in (dead.last_error or "")


def test_a_human_reply_before_routing_makes_it_a_no_op(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    process(live, "zendesk", escalating("zendesk"))
    teammate = zendesk_comment(
        70002, "Hi, Dana here, I'll take this.", "2026-05-02T10:31:00Z", "z2"
    )
    teammate["event"]["comment"]["author"].update({"id": 555, "is_staff": True})
    process(live, "zendesk", teammate)
    assign = next(row for row in actions(live) if row.kind == "assign")
    assert act.run_action(live, assign.id) is ActionStatus.SKIPPED
    assert (
        next(row for row in actions(live) if row.kind == "assign").reference
        == "the team already has it"
    )


def api(runtime: Runtime) -> FlaskClient:
    return create_app({RUNTIME: runtime}).test_client()


STATE = f"/api/v1/workspaces/acme/conversations/slack/{SLACK_CONVERSATION}"
AUTH = {"Authorization": f"Bearer {SECRETS['ACME_API_TOKEN']}"}


def test_suspension_stops_actions_until_the_team_hands_back(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    client = api(live)
    assert client.get(STATE, headers=AUTH).status_code == 404  # nothing stored yet
    process(live, "slack", escalating("slack"))
    drain(live)
    state = client.get(STATE, headers=AUTH).get_json()
    assert state["state"] == "escalated" and state["should_reply"] is False
    assert state["decision"]["signal"] == "user_request"
    assert [a["status"] for a in state["actions"]] == ["done", "done", "skipped", "done"]
    later = slack_message(
        "1717000100.000001", "I can help with that too!", "EvE2E2", user=None, bot_id="B06R2HQ8LKP"
    )
    process(live, "slack", later)
    assert len(actions(live)) == 4  # no new actions while escalated
    handed = client.post(STATE + "/handback", headers=AUTH).get_json()
    assert handed["state"] == "bot" and handed["should_reply"] is True
    assert handed["episode"] == state["episode"] + 1 and handed["actions"] == []
    now = f"{time.time():.6f}"  # after the hand-back, which happened now
    again = slack_message(now, "Sorry, I need a human again", "EvE2E3")
    process(live, "slack", again)
    assert len(actions(live)) == 8  # a new episode escalates again, with its own keys


def test_the_state_api_wants_the_workspaces_bearer_token(backend: str, live: Runtime) -> None:
    client = api(live)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        answer = client.get(STATE, headers=headers)
        assert answer.status_code == 401 and "Bearer" in answer.get_json()["error"]
    unknown = client.get("/api/v1/workspaces/nobody/conversations/slack/C1", headers=AUTH)
    assert unknown.status_code == 401


def test_dry_run_records_the_exact_requests_and_sends_nothing(
    backend: str, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_HANDOFF_API_TOKEN", "dry-token")
    with responses.RequestsMock() as mock, respx.mock(assert_all_called=False) as router:
        process(runtime, "zendesk", escalating("zendesk"))
        drain(runtime)
        assert len(mock.calls) == 0 and router.calls.call_count == 0
    rows = actions(runtime)
    assert all(row.dry_run and row.status == "done" for row in rows)
    tag = next(row for row in rows if row.kind == "tag")
    assert tag.requests == [
        {
            "method": "PUT",
            "url": f"https://handoff-dry-run.zendesk.com/api/v2/tickets/{TICKET}/tags.json",
            "body": {"tags": ["sys_escalation", "handoff_user_request"]},
        }
    ]
    state = (
        api(runtime)
        .get(
            f"/api/v1/workspaces/acme/conversations/zendesk/{TICKET}",
            headers={"Authorization": "Bearer dry-token"},
        )
        .get_json()
    )
    assert state["actions"][0]["requests"] == tag.requests


def test_the_feeder_hands_a_conversations_actions_to_the_queue_once(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    process(live, "slack", escalating("slack"))  # queues its actions at once
    assert helpers.pending(live, "run_actions") == 1  # one job runs the conversation's four
    assert outbox.feed(live) == 0  # handed over already: not enqueued twice
    while (job := live.huey.dequeue()) is not None:
        live.huey.execute(job)
    assert [row.status for row in actions(live)] == ["done", "done", "skipped", "done"]
    assert len(slack.calls("chat.postMessage")) == 2


def test_a_run_that_crashed_after_sending_is_taken_over_and_checks_the_marker(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    process(live, "slack", escalating("slack"))
    note = next(row for row in actions(live) if row.kind == "note")
    assert outbox.claim(live, note.id) is not None  # a worker took it, then died
    assert act.run_action(live, note.id) is None  # its lease still holds
    with live.db.write() as session:
        expired = utcnow() - timedelta(seconds=1)
        session.execute(update(StoredAction).values(lease_until=expired))
    assert act.run_action(live, note.id) is ActionStatus.DONE
    assert len(slack.calls("conversations.history")) == 1  # looked before posting
    assert len(slack.calls("chat.postMessage")) == 1
    taken_over = next(row for row in actions(live) if row.kind == "note")
    assert taken_over.attempts == 2


def test_a_hand_back_by_the_team_removes_the_zendesk_tags(backend: str, live: Runtime) -> None:
    state = f"/api/v1/workspaces/acme/conversations/zendesk/{TICKET}"
    with responses.RequestsMock() as mock:
        zendesk_routes(mock, TICKET)
        mock.add(responses.DELETE, f"{ZENDESK}/tickets/{TICKET}/tags.json", json={"tags": []})
        process(live, "zendesk", escalating("zendesk"))
        drain(live)
        handed = api(live).post(state + "/handback", headers=AUTH).get_json()
        drain(live)
        removal = [c.request for c in mock.calls if c.request.method == "DELETE"]
    assert handed["state"] == "bot" and handed["should_reply"] is True
    assert len(removal) == 1
    assert json.loads(removal[0].body) == {"tags": ["sys_escalation", "handoff_user_request"]}
    release = next(row for row in actions(live) if row.kind == "release")
    assert release.status == "done" and release.episode == 1


def test_handoff_audit_shows_the_decision_and_each_action_attempt(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    from click.testing import CliRunner

    from cli import main

    process(live, "slack", escalating("slack"))
    drain(live)
    env = {"HANDOFF_DATABASE_URL": live.settings.database_url}
    args = ["audit", "--workspace", "acme", "--platform", "slack"]
    result = CliRunner().invoke(main, [*args, "--conversation", SLACK_CONVERSATION], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "decision escalate  config " in lines[0] and '"signal": "user_request"' in lines[0]
    kinds = [line.split('"kind": "')[1].split('"')[0] for line in lines[1:]]
    assert kinds == ["tag", "note", "assign", "reply"]
    assert "POST " in lines[2] and "chat.postMessage" in lines[2]
    missing = CliRunner().invoke(main, [*args, "--conversation", "C0:nope"], env=env)
    assert missing.exit_code == 2 and "no conversation acme/slack/C0:nope" in missing.output


def test_one_job_runs_a_conversations_actions_in_order(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    process(live, "slack", escalating("slack"))
    ids = [row.id for row in actions(live)]
    statuses = act.run_actions(live, ids)
    assert [statuses[i] for i in ids] == ["done", "done", "skipped", "done"]
    methods = [call.api_method for call in slack.calls()]
    assert methods == ["reactions.add", "chat.getPermalink", "chat.postMessage", "chat.postMessage"]
    assert act.run_actions(live, ids) == {}  # done: nothing is ours to run again
