"""The state API on a workspace that does not suspend the bot, on both backends.

With `escalation.suspend_afterwards: false` the bot may keep replying after an escalation
until a teammate answers; the returns sub agent's `email` is `sensitive`, so the API
masks it in `decision.collected` and `evidence`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

from app import RUNTIME, create_app
from handover.models import Conversation, StoredDecision
from handover.runtime import Runtime
from tests.intake.flow import process, slack_message
from tests.intake.helpers import conversations, count

TOKEN_NAME, TOKEN = "ACME_HANDOFF_API_TOKEN", "state-api-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SLACK_ROOT = "1717000000.123400"
CONVERSATION = f"C07QX4M2B1N:{SLACK_ROOT}"
STATE = f"/api/v1/workspaces/acme/conversations/slack/{CONVERSATION}"
TEAMMATE = "U02KJ7S9T3M"  # a `teammate_ids` entry of the test workspace
EMAIL = "jane.doe@example.com"


def edit_workspace(path: Path, *, api_token: str | None = TOKEN_NAME) -> None:
    """No suspension, a sensitive email, and the API token (or none)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["escalation"]["suspend_afterwards"] = False
    for item in data["sub_agents"]["returns"]["collect"]:
        if item["name"] == "email":
            item["sensitive"] = True
    if api_token is None:
        data["handover"].pop("api_token", None)
    else:
        data["handover"]["api_token"] = api_token
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def workdir(workdir: Path) -> Path:
    """The intake suite's workspace, edited as above (before any runtime is made)."""
    edit_workspace(workdir / "acme.yaml")
    return workdir


@pytest.fixture
def web(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    monkeypatch.setenv(TOKEN_NAME, TOKEN)
    return create_app({RUNTIME: runtime}).test_client()


def say(runtime: Runtime, n: int, text: str, **fields: object) -> None:
    message = slack_message(f"17170002{n:02d}.000001", text, f"EvState{n}", **fields)
    process(runtime, "slack", message)


def test_should_reply_stays_true_after_escalation_until_a_teammate_replies(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    assert runtime.workspaces.policy("acme").model.escalation.suspend_afterwards is False
    say(runtime, 1, "Please let me talk to a human")
    escalated = web.get(STATE, headers=AUTH).get_json()
    assert escalated["state"] == "escalated"
    assert escalated["should_reply"] is True
    assert escalated["decision"]["escalate"] is True
    assert [a["kind"] for a in escalated["actions"]] == ["tag", "note", "assign", "reply"]

    # the bot answers again: still allowed, nothing new planned
    say(runtime, 2, "Sure, someone will be with you.", user=None, bot_id="B06R2HQ8LKP")
    still = web.get(STATE, headers=AUTH).get_json()
    assert (still["state"], still["should_reply"]) == ("escalated", True)
    assert len(still["actions"]) == 4

    say(runtime, 3, "Hi, Dana from support here, I'm on it.", user=TEAMMATE)
    taken = web.get(STATE, headers=AUTH).get_json()
    assert taken["state"] == "with_team"
    assert taken["should_reply"] is False
    assert taken["episode"] == escalated["episode"]


def test_a_teammate_reply_stops_the_bot_even_without_an_escalation(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    say(runtime, 1, "Where are your stores?")
    assert web.get(STATE, headers=AUTH).get_json()["should_reply"] is True
    say(runtime, 2, "Hello! Dana here.", user=TEAMMATE)
    answer = web.get(STATE, headers=AUTH).get_json()
    assert (answer["state"], answer["should_reply"]) == ("with_team", False)


RETURN = (
    f"I want to return my boots because they are too small. Order AC123456, my email is {EMAIL}"
)


def test_sensitive_details_are_masked_in_collected_and_evidence(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    say(runtime, 1, RETURN)
    answer = web.get(STATE, headers=AUTH).get_json()
    decision = answer["decision"]
    assert decision["status"] == "escalate" and decision["sub_agent"] == "returns"
    assert decision["collected"]["email"].startswith("••••")
    assert EMAIL not in decision["collected"]["email"]
    assert decision["collected"]["order_number"] == "AC123456"  # not sensitive
    assert "I want to return my boots" in decision["evidence"]
    assert EMAIL not in decision["evidence"] and "••••" in decision["evidence"]
    note = next(a["text"] for a in answer["actions"] if a["kind"] == "note")
    assert EMAIL not in note
    # the store keeps the real value (the masking is the API's)
    with runtime.db.read() as session:
        stored = session.query(StoredDecision).order_by(StoredDecision.id.desc()).first()
        assert stored is not None and stored.collected["email"] == EMAIL


def test_no_sensitive_value_appears_anywhere_in_the_answer(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    say(runtime, 1, RETURN)
    answer = web.get(STATE, headers=AUTH)
    assert answer.status_code == 200
    assert EMAIL not in json.dumps(answer.get_json(), ensure_ascii=False)


def test_hand_back_of_an_unknown_conversation_is_404(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    say(runtime, 1, "Please let me talk to a human")
    before = [(c.external_id, c.state, c.episode, c.revision) for c in conversations(runtime)]
    answer = web.post(
        "/api/v1/workspaces/acme/conversations/slack/C0NOWHERE:1.1/handback", headers=AUTH
    )
    assert answer.status_code == 404
    assert answer.get_json() == {"error": "no such conversation"}
    after = [(c.external_id, c.state, c.episode, c.revision) for c in conversations(runtime)]
    assert after == before and count(runtime, Conversation) == 1


def test_hand_back_of_a_known_conversation_answers_its_new_state(
    backend: str, runtime: Runtime, web: FlaskClient
) -> None:
    say(runtime, 1, "Please let me talk to a human")
    answer = web.post(STATE + "/handback", headers=AUTH)
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["state"], body["episode"], body["should_reply"]) == ("bot", 2, True)
    assert body["decision"] is None and body["actions"] == []


def test_a_workspace_without_an_api_token_answers_401(
    backend: str, workdir: Path, make_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit_workspace(workdir / "acme.yaml", api_token=None)
    runtime: Runtime = make_runtime()
    assert runtime.workspaces.policy("acme").model.handover.api_token is None
    monkeypatch.setenv(TOKEN_NAME, TOKEN)  # set, but the workspace does not name it
    web = create_app({RUNTIME: runtime}).test_client()
    say(runtime, 1, "Please let me talk to a human")
    assert len(conversations(runtime)) == 1  # it exists, and still nothing is shown
    for headers in (AUTH, {"Authorization": "Bearer "}, {}):
        assert web.get(STATE, headers=headers).status_code == 401
        handback = web.post(STATE + "/handback", headers=headers)
        assert handback.status_code == 401 and "Bearer" in handback.get_json()["error"]
    (conversation,) = conversations(runtime)
    assert conversation.state == "escalated" and conversation.episode == 1
