"""A workspace's own confirmation rules: extra phrases, and phrases that never count."""

from __future__ import annotations

import pytest
import yaml

from escalation.decision import Signal, Status
from escalation.policy import Policy, parse_policy
from escalation.rules import RulesDetector
from tests.conftest import decide


@pytest.fixture(scope="module")
def custom(policy: Policy) -> RulesDetector:
    data = policy.model.model_dump(mode="json")
    data["escalation"]["phrases"] = {
        "user_request": ["put me through to accounts"],
        "bot_handoff": ["I've opened a ticket for you"],
        "ignore": ["chat with an agent 24/7", "speak to a person"],
    }
    return RulesDetector(parse_policy(yaml.safe_dump(data)))


def test_an_extra_request_phrase_counts_as_a_direct_request(custom: RulesDetector) -> None:
    decision = decide(custom, ("user", "My login fails. Put me through to Accounts!"))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.USER_REQUEST)
    assert decision.evidence == "Put me through to Accounts"


def test_an_extra_handoff_phrase_counts_as_a_confirmed_handoff(custom: RulesDetector) -> None:
    decision = decide(
        custom, ("user", "My login fails."), ("bot", "Sorry! I’ve opened a ticket for you.")
    )
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.BOT_HANDOFF)


def test_extra_phrases_keep_the_guards(custom: RulesDetector) -> None:
    decision = decide(custom, ("user", "I don't want you to put me through to accounts."))
    assert decision.status is Status.NONE


def test_ignored_phrases_never_count(custom: RulesDetector, detector: RulesDetector) -> None:
    turns = (("user", "How do I speak to a person about my login?"),)
    assert decide(detector, *turns).signal is Signal.USER_REQUEST
    assert decide(custom, *turns).status is Status.NONE


def test_without_workspace_phrases_these_do_not_count(detector: RulesDetector) -> None:
    assert (
        decide(detector, ("user", "My login fails."), ("bot", "A ticket exists.")).status
        is Status.NONE
    )
