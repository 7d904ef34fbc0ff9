"""`escalation.pending_fallback` end to end: a return stuck in `collecting` escalates anyway.

The workspace sets `pending_fallback: {after_user_turns: 2}`; the customer starts a return
in the recorded Slack thread and keeps writing without the details. The second message
after `collecting` began escalates: the actions are planned and the note lists what is
missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from handover.models import StoredAction
from handover.runtime import Runtime
from tests.intake.flow import process, slack_message
from tests.intake.helpers import conversations, decisions

MISSING = ["order_number", "email", "return_reason"]


@pytest.fixture
def workdir(workdir: Path) -> Path:
    """The intake suite's workspace with the fallback after two more user turns."""
    path = workdir / "acme.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["escalation"]["pending_fallback"] = {"after_user_turns": 2}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return workdir


def say(runtime: Runtime, n: int, text: str) -> None:
    process(runtime, "slack", slack_message(f"17170001{n:02d}.000001", text, f"EvFallback{n}"))


def actions(runtime: Runtime) -> list[StoredAction]:
    with runtime.db.read() as session:
        return list(session.scalars(select(StoredAction).order_by(StoredAction.id)))


def test_a_return_without_details_escalates_after_two_more_turns(
    backend: str, runtime: Runtime
) -> None:
    fallback = runtime.workspaces.policy("acme").model.escalation.pending_fallback
    assert fallback is not None and fallback.after_user_turns == 2

    say(runtime, 1, "I want to return my boots")
    (conversation,) = conversations(runtime)
    assert (conversation.state, conversation.user_turns) == ("collecting", 0)

    say(runtime, 2, "hmm ok")
    (conversation,) = conversations(runtime)
    assert (conversation.state, conversation.user_turns) == ("collecting", 1)
    assert actions(runtime) == []

    say(runtime, 3, "not sure what you need")
    (conversation,) = conversations(runtime)
    assert conversation.state == "escalated"

    *_, last = decisions(runtime)
    assert (last.status, last.state_before, last.state_after) == (
        "escalate",
        "collecting",
        "escalated",
    )
    assert (last.signal, last.sub_agent) == ("workflow", "returns")
    assert last.missing == MISSING
    assert last.reason == (
        "Escalated without every detail: the user wrote 2 more times without the details "
        "(still missing: order_number, email, return_reason)."
    )

    planned = actions(runtime)
    assert [row.kind for row in planned] == ["tag", "note", "assign", "reply"]
    assert all(row.status == "planned" and row.decision_id == last.id for row in planned)
    note = next(row.payload["text"] for row in planned if row.kind == "note")
    assert "order number, email and return reason" in note
    for detail in ("Order number: not given", "Email: not given", "Return reason: not given"):
        assert detail in note
    assign = next(row for row in planned if row.kind == "assign")
    assert assign.payload["target"] == {"channel": "C0RETURNS"}


def test_before_the_fallback_is_due_nothing_is_planned(backend: str, runtime: Runtime) -> None:
    say(runtime, 1, "I want to return my boots")
    say(runtime, 2, "hmm ok")
    (conversation,) = conversations(runtime)
    assert conversation.state == "collecting"
    assert [d.status for d in decisions(runtime)] == ["pending", "pending"]
    assert actions(runtime) == []


def test_the_fallback_escalates_once_per_episode(backend: str, runtime: Runtime) -> None:
    for n, text in enumerate(["I want to return my boots", "hmm", "well", "hello?", "?"], 1):
        say(runtime, n, text)
    (conversation,) = conversations(runtime)
    assert conversation.state == "escalated"
    assert [d.state_after for d in decisions(runtime)].count("escalated") == 3
    assert len(actions(runtime)) == 4  # planned once, when it entered `escalated`
