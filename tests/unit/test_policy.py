"""Workspace validation: every kind of problem, reported all at once, naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from escalation.policy import ConfigInvalid, load_policy, parse_policy
from tests.conftest import EXAMPLE_WORKSPACE, SHARED

MINIMAL = """
workspace: shop
scope: {description: A shop, topics: [orders]}
topics:
  orders: {description: Orders, examples: ["Where is my order?"]}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigInvalid) as info:
        parse_policy(text, "ws.yaml")
    assert all(line.startswith("ws.yaml: ") for line in info.value.problems)
    return info.value.problems


def with_extra(extra: str) -> str:
    return MINIMAL + extra


def test_minimal_workspace_gets_the_contract_defaults() -> None:
    policy = parse_policy(MINIMAL)
    escalation = policy.model.escalation
    assert escalation.instruction is None
    assert escalation.only_topics == () and escalation.always_topics == ()
    assert escalation.summary == () and escalation.suspend_afterwards is False
    assert policy.sub_agents == {} and policy.model.gateway.handover_rules == ()
    assert policy.target_for(None) is None


@pytest.mark.parametrize(
    "path",
    [EXAMPLE_WORKSPACE, *sorted((SHARED / "data").glob("*/workspace.yaml"))],
    ids=lambda p: p.parent.name,
)
def test_every_shipped_and_shared_workspace_is_valid(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not present in this checkout")
    assert load_policy(path).name


def test_unknown_key_suggests_the_nearest_valid_one() -> None:
    problems = problems_of(with_extra("escalation: {suspend_afterward: true}\n"))
    assert problems == [
        "ws.yaml: escalation.suspend_afterward: unknown key (did you mean 'suspend_afterwards'?)"
    ]


def test_unknown_top_level_key_lists_valid_keys_when_nothing_is_close() -> None:
    (problem,) = problems_of(with_extra("zzz: 1\n"))
    assert problem.startswith("ws.yaml: zzz: unknown key (valid keys: ")
    assert "sub_agents" in problem


def test_missing_required_keys_are_each_reported() -> None:
    problems = problems_of("workspace: shop\n")
    assert "ws.yaml: scope: required key is missing" in problems
    assert "ws.yaml: topics: required key is missing" in problems


def test_wrong_types_name_the_key_path() -> None:
    problems = problems_of(
        with_extra("escalation: {suspend_afterwards: maybe, always_topics: orders}\n")
    )
    assert any(p.startswith("ws.yaml: escalation.suspend_afterwards: ") for p in problems)
    assert any(p.startswith("ws.yaml: escalation.always_topics: ") for p in problems)


def test_workspace_name_must_be_letters_digits_and_dashes() -> None:
    (problem,) = problems_of(MINIMAL.replace("workspace: shop", "workspace: my shop!"))
    assert problem.startswith("ws.yaml: workspace: must be letters and digits")


def test_undefined_topic_references_are_errors_with_a_suggestion() -> None:
    problems = problems_of(
        with_extra("escalation: {always_topics: [order], only_topics: [nope]}\n")
    )
    assert any(
        "escalation.always_topics[0]: topic 'order' is not defined (did you mean 'orders'?)" in p
        for p in problems
    )
    assert any("escalation.only_topics[0]: topic 'nope' is not defined" in p for p in problems)


def test_gateway_target_and_handover_rules_must_reference_defined_names() -> None:
    problems = problems_of(
        with_extra(
            "gateway:\n  target: support\n  targets: {billing: {slack: {channel: C1}}}\n"
            "  handover_rules: [{sub_agents: [ghost], target: nowhere}]\n"
        )
    )
    joined = "\n".join(problems)
    assert "gateway.target: target 'support' is not defined" in joined
    assert "gateway.handover_rules[0].target: target 'nowhere' is not defined" in joined
    assert "gateway.handover_rules[0].sub_agents[0]: sub agent 'ghost' is not defined" in joined


def test_collect_items_are_checked_for_patterns_and_duplicates() -> None:
    problems = problems_of(
        with_extra(
            "sub_agents:\n  returns:\n    topics: [orders]\n    collect:\n"
            "      - {name: order_number, kind: pattern}\n"
            "      - {name: order_number, kind: order_number, pattern: '([0-9'}\n"
            "      - {name: email, kind: mail}\n"
        )
    )
    joined = "\n".join(problems)
    assert "sub_agents.returns.collect[2].kind: must be one of" in joined
    assert "sub_agents.returns.collect[0].pattern: kind 'pattern' needs a pattern" in joined
    assert "sub_agents.returns.collect[1].name: duplicate detail name 'order_number'" in joined
    assert "sub_agents.returns.collect[1].pattern: invalid regular expression" in joined
    assert len(problems) == 4


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(
        with_extra(
            "escalation: {always_topics: [legal], only_topics: [billing], suspend: true}\n"
            "gateway: {target: support}\n"
        )
        + "workspace: twice\n"
    )
    assert len(problems) == 5
    assert problems[0] == "ws.yaml: escalation.suspend: unknown key (did you mean 'summary'?)" or (
        "escalation.suspend: unknown key" in problems[0]
    )
    assert any("duplicate key 'workspace'" in p for p in problems)


def test_an_empty_key_means_its_default() -> None:
    policy = parse_policy(with_extra("escalation:\n  summary:\n  always_topics:\n"))
    assert policy.model.escalation.summary == ()
    (problem,) = problems_of(with_extra("escalation: {always_topics: orders}\n"))
    assert problem == "ws.yaml: escalation.always_topics: must be a list, got 'orders'"


def test_duplicate_yaml_keys_and_bad_yaml_are_reported_with_a_line() -> None:
    (problem,) = problems_of(MINIMAL + "workspace: again\n")
    assert problem == "ws.yaml: line 6: duplicate key 'workspace'"
    (problem,) = problems_of("workspace: [unclosed\n")
    assert problem.startswith("ws.yaml: line ") and "invalid YAML" in problem


def test_a_file_that_is_not_a_mapping_or_cannot_be_read(tmp_path: Path) -> None:
    (problem,) = problems_of("- just\n- a list\n")
    assert "must be a YAML mapping" in problem
    with pytest.raises(ConfigInvalid) as info:
        load_policy(tmp_path / "missing.yaml")
    assert "cannot read the file" in info.value.problems[0]


def test_workspace_phrases_are_validated_like_the_rest() -> None:
    (problem,) = problems_of(with_extra("escalation: {phrases: {user_requests: [x]}}\n"))
    assert "escalation.phrases.user_requests: unknown key (did you mean 'user_request'?)" in problem


def test_instruction_is_read_as_narrowing_topics() -> None:
    text = yaml.safe_load(EXAMPLE_WORKSPACE.read_text())
    text["escalation"]["instruction"] = "Only escalate when the user has a payment issue."
    policy = parse_policy(yaml.safe_dump(text))
    assert policy.narrowing.topics == ("payments",)
    assert policy.narrowing.source == "instruction"
    assert "narrowed to payments" in policy.narrowing.describe()


def test_explicit_only_topics_win_over_the_instruction() -> None:
    text = yaml.safe_load(EXAMPLE_WORKSPACE.read_text())
    text["escalation"]["instruction"] = "Only escalate when the user has a payment issue."
    text["escalation"]["only_topics"] = ["returns"]
    policy = parse_policy(yaml.safe_dump(text))
    assert policy.narrowing.topics == ("returns",)
    assert policy.narrowing.source == "only_topics"
    assert "(ignored)" in policy.narrowing.describe()


def test_an_always_instruction_does_not_narrow_and_unmatched_ones_say_so() -> None:
    text = yaml.safe_load(EXAMPLE_WORKSPACE.read_text())
    text["escalation"]["instruction"] = "Always escalate legal threats."
    policy = parse_policy(yaml.safe_dump(text))
    assert policy.narrowing.topics == () and policy.narrowing.instruction_mode == "always"
    text["escalation"]["instruction"] = "Only escalate about spaceships."
    policy = parse_policy(yaml.safe_dump(text))
    assert policy.narrowing.topics == ()
    assert policy.narrowing.describe().startswith("instruction matches no topic")


def test_targets_come_from_handover_rules_then_the_default(policy) -> None:  # type: ignore[no-untyped-def]
    assert policy.target_for("returns") == "returns"
    assert policy.target_for("order_tracking") == "logistics"
    assert policy.target_for(None) == "support"
    assert policy.sub_agent_by_topic["payments"] == "billing"


def test_a_never_instruction_excludes_its_topics(detector) -> None:  # type: ignore[no-untyped-def]
    text = yaml.safe_load(EXAMPLE_WORKSPACE.read_text())
    text["escalation"]["instruction"] = "Never escalate sizing questions."
    policy = parse_policy(yaml.safe_dump(text))
    assert policy.narrowing.topics == () and policy.narrowing.excluded == ("sizing",)
    assert (
        policy.narrowing.describe() == "never escalates sizing (instruction read as never: sizing)"
    )
    from escalation.rules import RulesDetector
    from tests.conftest import decide

    narrowed = RulesDetector(policy)
    sizing = decide(narrowed, ("user", "What size should I get? Let me talk to a human."))
    assert (
        sizing.status.value == "none" and sizing.reason == "The workspace never escalates 'sizing'."
    )
    other = decide(narrowed, ("user", "I can't log in. Let me talk to a human."))
    assert other.status.value == "escalate"


def test_an_instruction_in_another_language_is_read_through_the_glossary() -> None:
    text = yaml.safe_load(EXAMPLE_WORKSPACE.read_text())
    text["escalation"]["instruction"] = "Solo escalar cuando el cliente tiene un problema de pago."
    assert parse_policy(yaml.safe_dump(text)).narrowing.topics == ("payments",)


def test_only_topics_with_an_unmatched_instruction_still_reads_as_narrowed() -> None:
    text = yaml.safe_load(EXAMPLE_WORKSPACE.read_text())
    text["escalation"]["instruction"] = "Only escalate about spaceships."
    text["escalation"]["only_topics"] = ["returns"]
    described = parse_policy(yaml.safe_dump(text)).narrowing.describe()
    assert described.startswith("narrowed to returns (escalation.only_topics)")
