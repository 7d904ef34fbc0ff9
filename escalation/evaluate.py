"""Scoring decisions against labelled cases, as `handoff eval` does.

Two label shapes are read from a case's `expect`:
- contract examples: `{status, signal, sub_agent, missing, target}` — the fields present
  are compared (`sub_agent` only where the expected status is not `none`);
- data sets: `{escalate, signal, alt_signals?}` — escalate-or-not first; `signal:
  "pending"` means status `pending`; any signal in `alt_signals` is also right.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from escalation.decision import Decision, Status

STATUSES = tuple(s.value for s in Status)


@dataclass(frozen=True)
class Expectation:
    """One case's label, normalized to the fields to compare."""

    status: str
    fields: dict[str, Any]
    accepted_signals: frozenset[str | None]


@dataclass(frozen=True)
class Miss:
    """A case whose decision differs from its label on some compared field."""

    id: str | None
    group: str | None
    expected: dict[str, Any]
    actual: dict[str, Any]


@dataclass
class Report:
    """Confusion matrix, exact matches and misses over a labelled run."""

    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    total: int = 0
    exact: int = 0
    errors: int = 0
    misses: list[Miss] = field(default_factory=list)
    groups: dict[str, Counter[str]] = field(default_factory=dict)

    def add(
        self, expectation: Expectation, decision: Decision, case_id: str | None, group: str | None
    ) -> None:
        """Score one decided case."""
        actual = decision.to_json()
        self.total += 1
        self.confusion[(expectation.status, decision.status.value)] += 1
        wrong = _wrong_fields(expectation, actual)
        tally = self.groups.setdefault(group or "all", Counter())
        tally["total"] += 1
        if expectation.status == decision.status.value:
            tally["status_ok"] += 1
        if not wrong:
            self.exact += 1
            tally["exact"] += 1
            return
        shown = {k: actual[k] for k in ("status", *expectation.fields) if k in actual}
        expected = {"status": expectation.status, **expectation.fields}
        alternatives = sorted(
            str(s) for s in expectation.accepted_signals - {expected.get("signal")}
        )
        if alternatives:
            expected["alt_signals"] = alternatives
        self.misses.append(Miss(case_id, group, expected, shown))

    def precision_recall(self) -> dict[str, dict[str, float | int | None]]:
        """Per status: precision, recall (None when undefined) and support."""
        result: dict[str, dict[str, float | int | None]] = {}
        for status in STATUSES:
            hit = self.confusion[(status, status)]
            predicted = sum(n for (_, a), n in self.confusion.items() if a == status)
            support = sum(n for (e, _), n in self.confusion.items() if e == status)
            result[status] = {
                "precision": _ratio(hit, predicted) if predicted else None,
                "recall": _ratio(hit, support) if support else None,
                "support": support,
            }
        return result

    def status_accuracy(self) -> float:
        """Share of cases whose status is right."""
        return _ratio(sum(self.confusion[(s, s)] for s in STATUSES), self.total)

    def escalate_binary(self) -> dict[str, float]:
        """Escalate-or-not precision, recall and accuracy."""
        tp = self.confusion[("escalate", "escalate")]
        predicted = sum(n for (_, a), n in self.confusion.items() if a == "escalate")
        support = sum(n for (e, _), n in self.confusion.items() if e == "escalate")
        correct = sum(
            n for (e, a), n in self.confusion.items() if (e == "escalate") == (a == "escalate")
        )
        return {
            "precision": _ratio(tp, predicted),
            "recall": _ratio(tp, support),
            "accuracy": _ratio(correct, self.total),
        }

    def to_json(self) -> dict[str, Any]:
        """The whole report as plain JSON."""
        return {
            "total": self.total,
            "errors": self.errors,
            "status_accuracy": self.status_accuracy(),
            "exact": self.exact,
            "exact_rate": _ratio(self.exact, self.total),
            "escalate": self.escalate_binary(),
            "per_status": self.precision_recall(),
            "confusion": {f"{e}->{a}": n for (e, a), n in sorted(self.confusion.items())},
            "groups": {g: dict(c) for g, c in sorted(self.groups.items())},
            "misses": [m.__dict__ for m in self.misses],
        }


def read_expectation(expect: Any) -> Expectation:
    """Normalize either label shape; `ValueError` names what is wrong with it."""
    if not isinstance(expect, dict):
        raise ValueError("expect: must be an object")
    if "status" in expect:
        return _contract_shape(expect)
    if "escalate" in expect:
        return _dataset_shape(expect)
    raise ValueError("expect: needs 'status' (contract shape) or 'escalate' (data-set shape)")


def _contract_shape(expect: dict[str, Any]) -> Expectation:
    status = expect["status"]
    if status not in STATUSES:
        raise ValueError(f"expect.status: must be one of {', '.join(STATUSES)}")
    keys = ["signal", "missing", "target"] + (["sub_agent"] if status != "none" else [])
    fields = {k: expect[k] for k in keys if k in expect}
    return Expectation(status, fields, frozenset({fields.get("signal")}))


def _dataset_shape(expect: dict[str, Any]) -> Expectation:
    if not isinstance(expect["escalate"], bool):
        raise ValueError("expect.escalate: must be true or false")
    signal = expect.get("signal")
    if expect["escalate"] is True:
        accepted = frozenset({signal, *expect.get("alt_signals", [])})
        return Expectation("escalate", {"signal": signal}, accepted)
    status = "pending" if signal == "pending" else "none"
    return Expectation(status, {}, frozenset())


def _wrong_fields(expectation: Expectation, actual: dict[str, Any]) -> list[str]:
    wrong = [] if actual["status"] == expectation.status else ["status"]
    for key, value in expectation.fields.items():
        if key == "signal":
            if actual["signal"] not in expectation.accepted_signals:
                wrong.append(key)
        elif actual.get(key) != value:
            wrong.append(key)
    return wrong


def group_of(raw: dict[str, Any], path: str | None) -> str | None:
    """The value at a dotted path of a case (`label.subset`), for per-group figures."""
    if not path:
        return None
    value: Any = raw
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return None if value is None else str(value)


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
