"""The detectors `handoff detect --detector NAME` can pick, by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from escalation.case import Case
from escalation.decision import Decision
from escalation.policy import Policy
from escalation.rules import RulesDetector


class Detector(Protocol):
    """Anything that decides a case under a workspace policy."""

    name: str

    def decide(self, case: Case) -> Decision:
        """Decide one case."""
        ...


DETECTORS: dict[str, Callable[[Policy], Detector]] = {"rules": RulesDetector}
"""Registered detectors; `rules` is the offline default."""


def make_detector(name: str, policy: Policy) -> Detector:
    """Build a detector by name; `KeyError` names the known ones."""
    try:
        factory = DETECTORS[name]
    except KeyError:
        raise KeyError(
            f"unknown detector '{name}' (known: {', '.join(sorted(DETECTORS))})"
        ) from None
    return factory(policy)
