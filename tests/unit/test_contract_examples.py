"""The contract's 83 example cases: every status right, and at least 97% exact.

These cases illustrate rules; nothing in the detector names their ids or texts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from escalation.case import parse_case
from escalation.evaluate import Report, read_expectation
from escalation.rules import RulesDetector
from tests.conftest import EXAMPLE_CASES, SHARED


def load_cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EXAMPLE_CASES.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def report(detector: RulesDetector) -> Report:
    scored = Report()
    for raw in load_cases():
        decision = detector.decide(parse_case(raw))
        scored.add(read_expectation(raw["expect"]), decision, raw["id"], None)
    return scored


def test_the_examples_are_the_contracts_own() -> None:
    shared = SHARED / "contract" / "example-cases.jsonl"
    if not shared.exists():
        pytest.skip("shared/contract is not beside this checkout")
    assert shared.read_text() == EXAMPLE_CASES.read_text()


def test_every_status_is_right(report: Report) -> None:
    wrong = [m.id for m in report.misses if m.expected["status"] != m.actual["status"]]
    assert report.total == 83
    assert wrong == []


def test_at_least_97_percent_are_exact(report: Report) -> None:
    assert report.exact / report.total >= 0.97, [m.id for m in report.misses]


@pytest.mark.parametrize("raw", load_cases(), ids=lambda raw: raw["id"])
def test_each_decision_explains_itself(detector: RulesDetector, raw: dict[str, Any]) -> None:
    decision = detector.decide(parse_case(raw))
    assert decision.reason.endswith(".")
    if decision.status.value != "none":
        assert decision.evidence is None or decision.evidence.strip()
        assert decision.target == detector.policy.target_for(decision.sub_agent)
    else:
        assert decision.signal is None and decision.target is None and decision.missing == ()
