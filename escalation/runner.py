"""Deciding a stream of JSONL case lines, as `handoff detect` does.

One output per input line, in input order. A line that is not a valid case yields
`{"id", "error"}` and the others are still decided; `RunResult.failed` counts them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from escalation.case import CaseInvalid, parse_case
from escalation.decision import CaseError, Decision
from escalation.detectors import Detector

Outcome = Decision | CaseError


@dataclass
class RunResult:
    """Counts of a run, filled as the lines are decided."""

    decided: int = 0
    failed: int = 0


def decide_lines(
    lines: Iterable[str], detector: Detector, result: RunResult
) -> Iterator[tuple[dict[str, Any], Outcome]]:
    """Yield (the line's JSON object, or {} when unreadable; its outcome) per non-blank line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        raw, outcome = _decide_line(line, number, detector)
        if isinstance(outcome, CaseError):
            result.failed += 1
        else:
            result.decided += 1
        yield raw, outcome


def _decide_line(line: str, number: int, detector: Detector) -> tuple[dict[str, Any], Outcome]:
    try:
        raw: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        return {}, CaseError(None, f"line {number}: invalid JSON: {exc.msg} (column {exc.colno})")
    try:
        outcome: Outcome = detector.decide(parse_case(raw))
    except CaseInvalid as exc:
        outcome = CaseError(exc.case_id, f"line {number}: {exc}")
    return (raw if isinstance(raw, dict) else {}), outcome
