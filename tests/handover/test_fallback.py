"""`escalate.fallback_due` / `with_fallback`: escalating a conversation stuck in `collecting`.

Pure-ish units: the conversation is an in-memory `Conversation` (never stored) and the
policy is the example workspace with `escalation.pending_fallback` set.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from escalation.decision import Decision, Signal, Status
from escalation.policy import ConfigInvalid, Policy, parse_policy
from handover.escalate import fallback_due, with_fallback
from handover.models import Conversation
from handover.states import State

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workspace.yaml"
NOW = datetime(2026, 5, 2, 10, 30, tzinfo=UTC)


def policy_with(fallback: dict[str, Any] | None) -> Policy:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    if fallback is not None:
        data["escalation"]["pending_fallback"] = fallback
    return parse_policy(yaml.safe_dump(data, allow_unicode=True), "fallback.yaml")


def conversation(
    state: State = State.COLLECTING,
    user_turns: int = 0,
    since: datetime | None = NOW,
) -> Conversation:
    return Conversation(
        workspace="acme-shoes",
        platform="slack",
        external_id="C1:17.1",
        state=state.value,
        episode=1,
        user_turns=user_turns,
        state_changed_at=since,
        created_at=NOW - timedelta(hours=1),
        updated_at=NOW,
    )


def pending(
    missing: tuple[str, ...] = ("order_number", "email"), signal: Signal | None = None
) -> Decision:
    return Decision(
        id="slack/acme/C1#1",
        status=Status.PENDING,
        signal=signal,
        sub_agent="returns",
        target="returns",
        reason="The returns workflow still needs: order_number, email.",
        evidence="I want to return my boots",
        missing=missing,
        collected={"return_reason": "too small"},
    )


TURNS = policy_with({"after_user_turns": 2})
MINUTES = policy_with({"after_minutes": 10})
BOTH = policy_with({"after_user_turns": 3, "after_minutes": 10})
NO_RULE = policy_with(None)


def test_the_example_has_no_fallback_and_never_falls_back() -> None:
    assert NO_RULE.model.escalation.pending_fallback is None
    stuck = conversation(user_turns=50, since=NOW - timedelta(days=2))
    assert fallback_due(stuck, NO_RULE, NOW) is None
    decision = pending()
    assert with_fallback(stuck, decision, NO_RULE, NOW) is decision


@pytest.mark.parametrize(("turns", "due"), [(0, False), (1, False), (2, True), (5, True)])
def test_after_user_turns(turns: int, due: bool) -> None:
    why = fallback_due(conversation(user_turns=turns), TURNS, NOW)
    if due:
        assert why == f"the user wrote {turns} more times without the details"
    else:
        assert why is None


@pytest.mark.parametrize(
    ("waited", "due"),
    [
        (timedelta(0), False),
        (timedelta(minutes=9, seconds=59), False),
        (timedelta(minutes=10), True),
        (timedelta(hours=3), True),
    ],
)
def test_after_minutes(waited: timedelta, due: bool) -> None:
    why = fallback_due(conversation(since=NOW - waited), MINUTES, NOW)
    if due:
        assert why == "the details were still missing after 10 minutes"
    else:
        assert why is None


def test_after_minutes_needs_to_know_when_collecting_started() -> None:
    assert fallback_due(conversation(since=None), MINUTES, NOW) is None


def test_after_minutes_ignores_user_turns_and_after_turns_ignores_time() -> None:
    assert fallback_due(conversation(user_turns=99), MINUTES, NOW) is None
    long_ago = conversation(user_turns=1, since=NOW - timedelta(days=1))
    assert fallback_due(long_ago, TURNS, NOW) is None


def test_with_both_rules_whichever_comes_first() -> None:
    assert fallback_due(conversation(user_turns=3), BOTH, NOW) == (
        "the user wrote 3 more times without the details"
    )
    late = conversation(user_turns=1, since=NOW - timedelta(minutes=11))
    assert fallback_due(late, BOTH, NOW) == "the details were still missing after 10 minutes"
    assert fallback_due(conversation(user_turns=2, since=NOW), BOTH, NOW) is None


@pytest.mark.parametrize("state", [State.BOT, State.ESCALATED, State.WITH_TEAM])
@pytest.mark.parametrize("policy", [TURNS, MINUTES, BOTH], ids=["turns", "minutes", "both"])
def test_none_when_not_collecting(state: State, policy: Policy) -> None:
    stuck = conversation(state, user_turns=99, since=NOW - timedelta(days=1))
    assert fallback_due(stuck, policy, NOW) is None
    decision = pending()
    assert with_fallback(stuck, decision, policy, NOW) is decision


def test_a_due_pending_decision_escalates_and_lists_what_is_missing() -> None:
    decision = pending()
    escalated = with_fallback(conversation(user_turns=2), decision, TURNS, NOW)
    assert escalated.status is Status.ESCALATE and escalated.escalate
    assert escalated.reason == (
        "Escalated without every detail: the user wrote 2 more times without the details "
        "(still missing: order_number, email)."
    )
    # everything else is the detector's
    assert replace(escalated, status=decision.status, signal=None, reason=decision.reason) == (
        decision
    )
    assert escalated.missing == ("order_number", "email")
    assert escalated.collected == {"return_reason": "too small"}


def test_the_signal_defaults_to_workflow() -> None:
    escalated = with_fallback(conversation(user_turns=2), pending(signal=None), TURNS, NOW)
    assert escalated.signal is Signal.WORKFLOW


def test_a_signal_the_detector_gave_is_kept() -> None:
    decision = pending(signal=Signal.OUT_OF_SCOPE)
    escalated = with_fallback(conversation(user_turns=2), decision, TURNS, NOW)
    assert escalated.status is Status.ESCALATE
    assert escalated.signal is Signal.OUT_OF_SCOPE


def test_the_reason_says_nothing_is_missing_when_nothing_is() -> None:
    late = conversation(since=NOW - timedelta(minutes=30))
    escalated = with_fallback(late, pending(missing=()), MINUTES, NOW)
    assert escalated.reason == (
        "Escalated without every detail: the details were still missing after 10 minutes "
        "(still missing: nothing)."
    )


def test_a_pending_decision_that_is_not_due_is_left_alone() -> None:
    decision = pending()
    assert with_fallback(conversation(user_turns=1), decision, TURNS, NOW) is decision


@pytest.mark.parametrize("status", [Status.NONE, Status.ESCALATE])
def test_only_pending_decisions_are_turned(status: Status) -> None:
    decision = replace(pending(), status=status)
    stuck = conversation(user_turns=10, since=NOW - timedelta(days=1))
    assert with_fallback(stuck, decision, BOTH, NOW) is decision


def test_the_rule_must_count_at_least_one_turn_or_minute() -> None:
    with pytest.raises(ConfigInvalid, match="after_user_turns"):
        policy_with({"after_user_turns": 0})
    with pytest.raises(ConfigInvalid, match="after_minutes"):
        policy_with({"after_minutes": 0})
