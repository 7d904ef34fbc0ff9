"""Properties that hold for any input: order and count of outputs, the shape of decisions."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from escalation.case import parse_case
from escalation.rules import RulesDetector
from tests.conftest import EXAMPLE_WORKSPACE

ROLES = st.sampled_from(["user", "bot", "agent", "system"])
PHRASES = st.sampled_from(
    [
        "I want to return my boots",
        "Can I talk to a human?",
        "What is your order number?",
        "AC-123456",
        "jo@example.com",
        "They are too small.",
        "I've escalated your case to our team.",
        "never mind",
        "Why would you like to return it?",
        "Which email address did you use for the order?",
        "My card was charged twice",
        "banana bread recipe please",
    ]
)
TEXT = st.one_of(PHRASES, st.text(max_size=60))
MESSAGE = st.fixed_dictionaries({"role": ROLES, "text": TEXT})
CASE = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=8),
        "messages": st.lists(MESSAGE, min_size=1, max_size=6),
    },
    optional={"sub_agent": st.sampled_from(["returns", "billing", "order_tracking"])},
)
LINE = st.one_of(CASE.map(json.dumps), st.text(max_size=30).filter(lambda s: "\n" not in s))
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(LINE, min_size=1, max_size=8))
def test_one_output_per_input_line_in_order(lines: list[str]) -> None:
    kept = [line for line in lines if line.strip()]
    result = CliRunner().invoke(
        main, ["detect", "--config", str(EXAMPLE_WORKSPACE)], input="\n".join(lines) + "\n"
    )
    outputs = [json.loads(line) for line in io.StringIO(result.stdout)]
    assert len(outputs) == len(kept)
    for line, output in zip(kept, outputs, strict=True):
        try:
            expected_id = json.loads(line).get("id")
        except (json.JSONDecodeError, AttributeError):
            expected_id = None
        if "error" not in output or output["id"] is not None:
            assert output["id"] == expected_id
    assert result.exit_code == (1 if any("error" in o for o in outputs) else 0)


@FAST
@given(CASE)
def test_decisions_are_consistent(raw: dict[str, object]) -> None:
    detector = _detector()
    decision = detector.decide(parse_case(raw))
    assert decision.escalate == (decision.status.value == "escalate")
    if decision.status.value == "none":
        assert decision.signal is None and decision.target is None
    else:
        assert decision.signal is not None
    if decision.sub_agent is not None:
        names = [item.name for item in detector.policy.sub_agents[decision.sub_agent].collect]
        positions = [names.index(name) for name in decision.missing]
        assert positions == sorted(positions), "missing keeps the configured order"
        assert set(decision.collected) <= set(names)
        assert not set(decision.missing) & set(decision.collected)
    else:
        assert decision.missing == ()
    if decision.status.value == "pending":
        assert decision.missing


_CACHE: dict[str, RulesDetector] = {}


def _detector() -> RulesDetector:
    if "d" not in _CACHE:
        from escalation.policy import load_policy

        _CACHE["d"] = RulesDetector(load_policy(EXAMPLE_WORKSPACE))
    return _CACHE["d"]
