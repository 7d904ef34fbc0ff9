"""Slack's "Take it" / "Hand back" buttons through the web app, on both backends.

A signed `block_actions` payload (form-encoded, as Slack posts it) goes to
`/webhooks/slack/<workspace>/interactivity`; the press is verified with the workspace's
Slack signing secret and changes the conversation the button names.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app import RUNTIME, create_app
from connectors.slack.blocks import HANDBACK_ACTION_ID, TAKE_ACTION_ID, button_value, note_blocks
from handover import act
from handover.models import ActionStatus, Conversation, StoredAction, StoredDecision
from handover.runtime import Runtime
from tests.connectors.slack_fake import RESPONSE_URLS, SlackFake, response_urls
from tests.intake.backends import SECRET_NAMES
from tests.intake.flow import process, slack_message
from tests.intake.handover_env import SECRETS, act_for_real
from tests.intake.helpers import conversations, count, decisions

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_ROOT = "1717000000.123400"
CONVERSATION = f"C07QX4M2B1N:{SLACK_ROOT}"
AGENT = "U0DANA42"
FORM = "application/x-www-form-urlencoded"
URL = "/webhooks/slack/acme/interactivity"


@pytest.fixture
def signing_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(SECRET_NAMES["slack"], SIGNING_SECRET)
    return SIGNING_SECRET


@pytest.fixture
def web(runtime: Runtime, signing_secret: str) -> FlaskClient:
    return create_app({RUNTIME: runtime}).test_client()


__all__ = ["response_urls"]  # the imported autouse fixture (a loopback response URL)


def block_actions(action_id: str, conversation_id: str = CONVERSATION) -> dict[str, Any]:
    """A `block_actions` payload as Slack sends it for a button on Handoff's note."""
    return {
        "type": "block_actions",
        "user": {"id": AGENT, "username": "dana", "name": "dana", "team_id": "T0AB1CD2E"},
        "api_app_id": "A07HND0FF12",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1717000050.000300",
            "channel_id": "C0SUPPORT",
            "is_ephemeral": False,
        },
        "trigger_id": "7001.42.abcdef",
        "team": {"id": "T0AB1CD2E", "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": "C0SUPPORT", "name": "support"},
        "message": {
            "type": "message",
            "subtype": "bot_message",
            "text": "Escalated to a human",
            "ts": "1717000050.000300",
            "bot_id": "B07H4ND0FF2",
            "blocks": [],
        },
        "state": {"values": {}},
        "response_url": RESPONSE_URLS.url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "handoff_actions",
                "text": {"type": "plain_text", "text": "Take it"},
                "value": button_value(conversation_id),
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def form(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def signed(body: bytes, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 signature headers, computed here independently of the code under test."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def press(
    web: FlaskClient,
    action_id: str,
    conversation_id: str = CONVERSATION,
    *,
    url: str = URL,
    secret: str = SIGNING_SECRET,
) -> TestResponse:
    body = form(block_actions(action_id, conversation_id))
    return web.post(
        url,
        data=body,
        headers=signed(body, secret),
        content_type="application/x-www-form-urlencoded",
    )


def escalate(runtime: Runtime) -> Conversation:
    """The customer asks for a human in the recorded Slack thread: `escalated`."""
    process(runtime, "slack", slack_message(SLACK_ROOT, "Please let me talk to a human", "EvB1"))
    (conversation,) = conversations(runtime)
    assert conversation.state == "escalated" and conversation.external_id == CONVERSATION
    return conversation


def snapshot(runtime: Runtime) -> list[tuple[str, str, int, int, int]]:
    """What a press could change: each conversation's key, state, episode and revision."""
    return [
        (c.external_id, c.state, c.episode, c.revision, c.user_turns)
        for c in conversations(runtime)
    ]


def test_take_it_moves_an_escalated_conversation_to_the_team(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    before = escalate(runtime)
    answer = press(web, TAKE_ACTION_ID)
    assert answer.status_code == 200
    (after,) = conversations(runtime)
    assert after.state == "with_team" and after.episode == before.episode
    assert after.revision == before.revision + 1
    taken = decisions(runtime)[-1]
    assert (taken.cause, taken.state_before, taken.state_after) == (
        "taken",
        "escalated",
        "with_team",
    )
    assert taken.reason == f"taken by slack:{AGENT}"
    assert taken.episode == before.episode and taken.event_id is None


def live_web(workdir: Path, make_runtime: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A runtime acting for real (dry run off), and its web client."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    act_for_real(workdir / "acme.yaml")
    runtime: Runtime = make_runtime()
    return runtime, create_app({RUNTIME: runtime}).test_client()


def note_with_buttons() -> list[dict[str, Any]]:
    return note_blocks("Escalated to a human", conversation_id=CONVERSATION, episode=1)


def test_after_take_it_the_note_says_who_and_keeps_only_hand_back(
    backend: str,
    workdir: Path,
    make_runtime: Any,
    monkeypatch: pytest.MonkeyPatch,
    signing_secret: str,
    response_urls: SlackFake,
) -> None:
    runtime, web = live_web(workdir, make_runtime, monkeypatch)
    escalate(runtime)
    seen = len(response_urls.calls())
    payload = block_actions(TAKE_ACTION_ID)
    payload["message"]["blocks"] = note_with_buttons()
    body = form(payload)
    answer = web.post(URL, data=body, headers=signed(body), content_type=FORM)
    assert answer.status_code == 200
    (update,) = response_urls.calls()[seen:]
    assert update.path == "/actions/T0/1/response"
    assert update.body["replace_original"] is True
    assert update.body["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"Taken by <@{AGENT}>"}],
    }
    (actions_block,) = [b for b in update.body["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions_block["elements"]] == [HANDBACK_ACTION_ID]


def test_in_dry_run_a_press_changes_state_but_sends_nothing(
    backend: str, runtime: Runtime, web: FlaskClient, response_urls: SlackFake
) -> None:
    escalate(runtime)
    seen = len(response_urls.calls())
    assert press(web, TAKE_ACTION_ID).status_code == 200
    assert conversations(runtime)[0].state == "with_team"
    assert response_urls.calls()[seen:] == []


def test_a_button_on_an_earlier_escalations_note_changes_nothing(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    escalate(runtime)
    assert press(web, HANDBACK_ACTION_ID).status_code == 200  # episode 2 starts, bot
    old = block_actions(TAKE_ACTION_ID)
    old["actions"][0]["value"] = button_value(CONVERSATION, 1)
    body = form(old)
    assert web.post(URL, data=body, headers=signed(body), content_type=FORM).status_code == 200
    (after,) = conversations(runtime)
    assert (after.state, after.episode) == ("bot", 2)


def test_take_it_twice_records_one_decision(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    escalate(runtime)
    assert press(web, TAKE_ACTION_ID).status_code == 200
    recorded = count(runtime, StoredDecision)
    state = snapshot(runtime)
    assert press(web, TAKE_ACTION_ID).status_code == 200
    assert count(runtime, StoredDecision) == recorded
    assert snapshot(runtime) == state


def test_hand_back_starts_a_new_episode_with_the_bot(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    before = escalate(runtime)
    assert press(web, TAKE_ACTION_ID).status_code == 200
    assert press(web, HANDBACK_ACTION_ID).status_code == 200
    (after,) = conversations(runtime)
    assert after.state == "bot"
    assert after.episode == before.episode + 1 and after.user_turns == 0
    handed = decisions(runtime)[-1]
    assert (handed.cause, handed.state_before, handed.state_after) == (
        "hand_back",
        "with_team",
        "bot",
    )
    assert handed.reason == f"handed back by slack:{AGENT}"
    assert handed.episode == before.episode  # recorded in the episode it ends


def test_hand_back_straight_from_escalated(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    before = escalate(runtime)
    assert press(web, HANDBACK_ACTION_ID).status_code == 200
    (after,) = conversations(runtime)
    assert (after.state, after.episode) == ("bot", before.episode + 1)
    assert [d.cause for d in decisions(runtime)] == ["detection", "hand_back"]
    # the ended episode's planned actions are cancelled, not sent
    with runtime.db.read() as session:
        planned = list(session.scalars(select(StoredAction.id).order_by(StoredAction.id)))
    assert planned, "the escalation planned actions"
    assert [act.run_action(runtime, i) for i in planned] == [ActionStatus.CANCELLED] * len(planned)


def test_a_bad_signature_is_401_and_changes_nothing(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    escalate(runtime)
    state, recorded = snapshot(runtime), count(runtime, StoredDecision)
    for action_id in (TAKE_ACTION_ID, HANDBACK_ACTION_ID):
        answer = press(web, action_id, secret="not-the-signing-secret")
        assert answer.status_code == 401
    unsigned = web.post(
        URL,
        data=form(block_actions(TAKE_ACTION_ID)),
        content_type="application/x-www-form-urlencoded",
    )
    assert unsigned.status_code == 401
    assert snapshot(runtime) == state
    assert count(runtime, StoredDecision) == recorded


def test_a_signature_over_another_body_is_401(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    escalate(runtime)
    state = snapshot(runtime)
    signed_for = form(block_actions(TAKE_ACTION_ID, "C0OTHER:1.2"))
    body = form(block_actions(TAKE_ACTION_ID))
    answer = web.post(
        URL,
        data=body,
        headers=signed(signed_for),
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 401
    assert snapshot(runtime) == state


def test_an_unknown_workspace_is_404(backend: str, runtime: Runtime, web: FlaskClient) -> None:
    escalate(runtime)
    state = snapshot(runtime)
    answer = press(web, TAKE_ACTION_ID, url="/webhooks/slack/nobody/interactivity")
    assert answer.status_code == 404
    assert snapshot(runtime) == state


def test_a_button_for_an_unknown_conversation_is_acked_and_changes_nothing(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    escalate(runtime)
    state, recorded = snapshot(runtime), count(runtime, StoredDecision)
    for action_id in (TAKE_ACTION_ID, HANDBACK_ACTION_ID):
        assert press(web, action_id, "C0NOWHERE:1717999999.000001").status_code == 200
    assert snapshot(runtime) == state  # no conversation created, none changed
    assert count(runtime, StoredDecision) == recorded
    assert count(runtime, Conversation) == 1
