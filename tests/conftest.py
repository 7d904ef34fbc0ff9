"""Shared fixtures: the example workspace, a detector for it, and a case builder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from escalation.case import Case, parse_case
from escalation.decision import Decision
from escalation.policy import Policy, load_policy
from escalation.rules import RulesDetector

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_WORKSPACE = ROOT / "examples" / "workspace.yaml"
EXAMPLE_CASES = ROOT / "examples" / "cases.jsonl"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(EXAMPLE_WORKSPACE)


@pytest.fixture(scope="session")
def detector(policy: Policy) -> RulesDetector:
    return RulesDetector(policy)


def make_case(*turns: tuple[str, str], sub_agent: str | None = None, case_id: str = "t") -> Case:
    """A case from (role, text) pairs."""
    raw: dict[str, Any] = {
        "id": case_id,
        "messages": [{"role": role, "text": text} for role, text in turns],
    }
    if sub_agent is not None:
        raw["sub_agent"] = sub_agent
    return parse_case(raw)


def decide(
    detector: RulesDetector, *turns: tuple[str, str], sub_agent: str | None = None
) -> Decision:
    return detector.decide(make_case(*turns, sub_agent=sub_agent))
