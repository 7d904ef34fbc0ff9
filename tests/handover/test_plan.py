"""`handover.plan`: which actions an escalation produces, with which keys, tags and text."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.actions import ActionKind
from connectors.model import Platform
from escalation.case import Message, Role
from escalation.decision import Decision, Signal, Status
from escalation.policy import Policy, load_policy
from handover.plan import (
    ESCALATION_TAG,
    Situation,
    action_key,
    escalation_tags,
    handoff_reply,
    marker_for,
    plan_escalation,
    target_entry,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workspace.yaml"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(EXAMPLE)


def workspace(tmp_path: Path, extra: str) -> Policy:
    """The example workspace with its `handover` section replaced by `extra`'s sections."""
    base = EXAMPLE.read_text(encoding="utf-8").split("\nhandover:")[0]
    path = tmp_path / "ws.yaml"
    path.write_text(base + "\n" + extra, encoding="utf-8")
    return load_policy(path)


RETURN = (
    Message(Role.USER, "I want to return my sneakers"),
    Message(Role.BOT, "Sure, what is your order number?"),
    Message(Role.USER, "AC123456, jane@example.com, they are too small"),
)


def returns_decision(signal: Signal = Signal.WORKFLOW) -> Decision:
    return Decision(
        id="c1",
        status=Status.ESCALATE,
        signal=signal,
        sub_agent="returns",
        target="returns",
        reason="every detail was given",
        evidence="I want to return my sneakers",
        collected={
            "order_number": "AC123456",
            "email": "jane@example.com",
            "return_reason": "they are too small",
        },
    )


def situation(platform: Platform, transcript: tuple[Message, ...] = RETURN) -> Situation:
    conversation = {Platform.ZENDESK: "4242", Platform.INTERCOM: "215", Platform.SLACK: "C1:17.1"}
    return Situation("acme-shoes", platform, conversation[platform], 3, transcript)


@pytest.mark.parametrize("platform", list(Platform))
def test_an_escalation_tags_notes_assigns_and_replies_once(
    policy: Policy, platform: Platform
) -> None:
    actions = plan_escalation(situation(platform), returns_decision(), policy)
    kinds = [action.kind for action in actions]
    assert kinds == [ActionKind.TAG, ActionKind.NOTE, ActionKind.ASSIGN, ActionKind.REPLY]
    assert len({action.key for action in actions}) == len(actions)
    assert all(action.key.endswith(f"#3/{action.kind}") for action in actions)
    assert all(action.platform is platform for action in actions)


def test_targets_resolve_to_the_platform_entry(policy: Policy) -> None:
    assert target_entry(policy, "returns", Platform.ZENDESK) == {
        "group_id": 360002,
        "custom_fields": {},
    }
    assert target_entry(policy, "returns", Platform.INTERCOM) == {"team_id": "5002", "open": False}
    assert target_entry(policy, "returns", Platform.SLACK) == {"channel": "C0RETURNS"}
    assert target_entry(policy, None, Platform.SLACK) == {}
    assert target_entry(policy, "nowhere", Platform.SLACK) == {}


def test_without_a_target_there_is_no_assignment(policy: Policy) -> None:
    decision = returns_decision()
    untargeted = Decision(**{**decision.__dict__, "target": None})
    kinds = [a.kind for a in plan_escalation(situation(Platform.ZENDESK), untargeted, policy)]
    assert ActionKind.ASSIGN not in kinds and ActionKind.TAG in kinds


def test_the_note_carries_a_marker_and_the_summary(policy: Policy) -> None:
    actions = plan_escalation(situation(Platform.INTERCOM), returns_decision(), policy)
    note = next(a for a in actions if a.kind is ActionKind.NOTE)
    assert note.marker == marker_for(note.key) and note.marker.startswith("hnd-")
    assert "AC123456" in note.text and "jane@example.com" in note.text
    tag = next(a for a in actions if a.kind is ActionKind.TAG)
    assert tag.marker == "" and tag.tags == (ESCALATION_TAG, "handoff_workflow")


def test_keys_differ_by_episode_and_conversation() -> None:
    first = situation(Platform.ZENDESK)
    later = Situation(first.workspace, first.platform, first.conversation_id, 4, ())
    other = Situation(first.workspace, first.platform, "4243", 3, ())
    keys = {action_key(s, ActionKind.NOTE) for s in (first, later, other)}
    assert len(keys) == 3
    assert marker_for(action_key(first, ActionKind.NOTE)) != marker_for(
        action_key(later, ActionKind.NOTE)
    )


def test_routing_tags_are_filled_and_empty_placeholders_dropped(tmp_path: Path) -> None:
    policy = workspace(
        tmp_path,
        "handover:\n  routing_tags: ['handoff_{signal}', 'handoff_{target}', 'Team {sub_agent}']\n",
    )
    assert escalation_tags(policy, returns_decision()) == (
        "sys_escalation",
        "handoff_workflow",
        "handoff_returns",
        "team_returns",
    )
    bare = Decision("c", Status.ESCALATE, Signal.USER_REQUEST, None, None, "asked")
    assert escalation_tags(policy, bare) == ("sys_escalation", "handoff_user_request")


def test_the_reply_is_the_sub_agents_message_unless_the_bot_said_it(policy: Policy) -> None:
    message = policy.sub_agents["returns"].handoff_message
    assert handoff_reply(policy, returns_decision(), RETURN) == message
    said = (*RETURN, Message(Role.BOT, (message or "").upper() + "!!"))
    assert handoff_reply(policy, returns_decision(), said) is None
    assert handoff_reply(policy, returns_decision(Signal.BOT_HANDOFF), RETURN) is None


def test_the_reply_falls_back_to_the_workspace_default(policy: Policy) -> None:
    decision = Decision("c", Status.ESCALATE, Signal.USER_REQUEST, None, "support", "asked")
    assert handoff_reply(policy, decision, RETURN) == policy.model.handover.handoff_message


def test_replies_can_be_switched_off(tmp_path: Path) -> None:
    policy = workspace(tmp_path, "handover:\n  reply_on_escalation: false\n")
    actions = plan_escalation(situation(Platform.SLACK), returns_decision(), policy)
    assert ActionKind.REPLY not in [a.kind for a in actions]


def test_suspend_is_planned_on_zendesk_with_sunshine_only(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "    api_token: ACME_ZENDESK_API_TOKEN\n",
        "    api_token: ACME_ZENDESK_API_TOKEN\n    sunshine:\n"
        "      app_id: app1\n      key_id: SUN_KEY\n      key_secret: SUN_SECRET\n",
    )
    (tmp_path / "sun.yaml").write_text(text, encoding="utf-8")
    policy = load_policy(tmp_path / "sun.yaml")
    zendesk = plan_escalation(situation(Platform.ZENDESK), returns_decision(), policy)
    slack = plan_escalation(situation(Platform.SLACK), returns_decision(), policy)
    assert zendesk[-1].kind is ActionKind.SUSPEND
    assert ActionKind.SUSPEND not in [a.kind for a in slack]
