"""Topics and scope from words: keywords, weights, subject domains and the out-of-scope rule."""

from __future__ import annotations

import pytest

from escalation.decision import Signal, Status
from escalation.policy import Policy, parse_policy
from escalation.rules import RulesDetector
from escalation.topics import TopicIndex
from tests.conftest import decide


@pytest.fixture(scope="module")
def index(policy: Policy) -> TopicIndex:
    return TopicIndex(policy.model)


def test_keywords_match_whole_words_on_stems(index: TopicIndex) -> None:
    assert "payments" in index.score("I was charged twice").keyword_hits
    assert index.score("I'm going to file a chargeback").keyword_hits.get("payments") is None
    assert "legal" in index.score("I'm going to file a chargeback").keyword_hits


def test_keyword_phrases_need_every_word(index: TopicIndex) -> None:
    assert "send back" in index.score("Can I send back the boots?").keyword_hits["returns"]
    assert "returns" not in index.score("I'll be back in town next week").keyword_hits


def test_the_best_topic_needs_real_evidence(index: TopicIndex) -> None:
    assert index.score("My package hasn't moved in a week").best() == "shipping"
    assert index.score("Do these run small? What size should I get?").best() == "sizing"
    assert index.score("hello there").best() is None


@pytest.mark.parametrize(
    "text",
    [
        "Can you book me a flight to Madrid for next Friday?",
        "What's a good recipe for banana bread?",
        "My laptop won't connect to wifi. How do I fix it?",
        "Will it rain tomorrow?",
        "Quiero una receta de pan de plátano",
        "Können Sie mir ein Rezept für Apfelkuchen geben?",
    ],
)
def test_clearly_off_subject_requests_are_out_of_scope(index: TopicIndex, text: str) -> None:
    assert index.out_of_scope_words(text)


@pytest.mark.parametrize(
    "text",
    [
        "Would a person with wide feet be OK in the Trail Runner 2?",
        "This is so annoying, the checkout page keeps freezing.",
        "I ordered two pairs but want to add a third to the same order.",
        "Is the Metro Loafer available in black?",
        "Quiero cambiar la talla de mis zapatillas",
        "the thing from last time did it again",
    ],
)
def test_in_scope_unknown_or_foreign_words_are_not_out_of_scope(
    index: TopicIndex, text: str
) -> None:
    assert index.out_of_scope_words(text) is None


def test_workspace_domains_come_from_its_deliberate_words(index: TopicIndex) -> None:
    assert {"footwear_apparel", "shipping_delivery", "payments_billing"} <= index.domains
    assert "food_cooking" not in index.domains and "travel_flights" not in index.domains


def test_small_talk_and_answers_to_bot_questions_are_never_out_of_scope(
    detector: RulesDetector,
) -> None:
    assert decide(detector, ("user", "Hi"), ("bot", "Hi! How can I help?")).status is Status.NONE
    answered = decide(
        detector,
        ("user", "I want to return my sneakers."),
        ("bot", "Why would you like to return them?"),
        ("user", "The colour looked like a banana in the photo."),
    )
    assert answered.signal is not Signal.OUT_OF_SCOPE


def test_out_of_scope_escalates_with_the_words_as_reason(detector: RulesDetector) -> None:
    decision = decide(detector, ("user", "What's a good recipe for banana bread?"))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.OUT_OF_SCOPE)
    assert "recipe" in decision.reason and decision.target == "support"


def test_a_defined_topic_outside_scope_topics_is_out_of_scope() -> None:
    policy = parse_policy(
        """
workspace: shop
scope: {description: Shoes, topics: [orders]}
topics:
  orders: {description: Orders, keywords: [order]}
  competitors: {description: Other shops, keywords: [zalando, amazon]}
"""
    )
    decision = decide(RulesDetector(policy), ("user", "Is Zalando cheaper than you?"))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.OUT_OF_SCOPE)
    assert "competitors" in decision.reason


def test_narrowing_turns_out_of_scope_off(policy: Policy) -> None:
    text = policy.model.model_dump(mode="json")
    text["escalation"]["only_topics"] = ["payments"]
    narrowed = RulesDetector(parse_policy(__import__("yaml").safe_dump(text)))
    recipe = decide(narrowed, ("user", "What's a good recipe for banana bread?"))
    assert recipe.status is Status.NONE and "limited to payments" in recipe.reason
    bare = decide(narrowed, ("user", "Can I talk to a human?"))
    assert bare.status is Status.NONE
    inside = decide(narrowed, ("user", "I was charged twice, let me talk to someone"))
    assert (inside.status, inside.signal) == (Status.PENDING, Signal.USER_REQUEST)
