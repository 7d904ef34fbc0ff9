"""Text for people from the detection commands: table rows, the eval report, the summary."""

from __future__ import annotations

import json
from typing import Any

from escalation.decision import CaseError, Decision
from escalation.evaluate import Report
from escalation.policy import Policy


def table_row(raw: dict[str, Any], outcome: Decision | CaseError) -> str:
    """One decision (or case error) of `handoff detect --format table`."""
    if isinstance(outcome, CaseError):
        return f"{outcome.id or '?':<40} ERROR    {outcome.error}"
    missing = f" missing={','.join(outcome.missing)}" if outcome.missing else ""
    route = f" → {outcome.target}" if outcome.target else ""
    signal = outcome.signal.value if outcome.signal else "-"
    agent = f" [{outcome.sub_agent}]" if outcome.sub_agent else ""
    head = f"{outcome.id:<40} {outcome.status.value:<8} {signal:<12}{agent}{route}{missing}"
    return f"{head}\n    {outcome.reason}"


def report_text(report: Report, max_misses: int) -> str:
    """The text report of `handoff eval`, listing at most `max_misses` misses."""
    lines = [
        f"cases: {report.total}  errors: {report.errors}",
        f"status accuracy: {report.status_accuracy():.1%}  "
        f"exact: {report.exact}/{report.total} ({report.exact / max(report.total, 1):.1%})",
    ]
    binary = report.escalate_binary()
    lines.append(
        f"escalate-or-not: precision {binary['precision']:.1%}  recall {binary['recall']:.1%}  "
        f"accuracy {binary['accuracy']:.1%}"
    )
    lines.append("\nstatus     precision  recall  support")
    for status, row in report.precision_recall().items():
        precision, recall = _percent(row["precision"]), _percent(row["recall"])
        lines.append(f"{status:<10} {precision:>9} {recall:>7} {row['support']:>8}")
    lines.append("\nconfusion (rows expected, columns actual)")
    lines.append("           " + "".join(f"{s:>10}" for s in ("escalate", "pending", "none")))
    for expected in ("escalate", "pending", "none"):
        counts = "".join(
            f"{report.confusion[(expected, a)]:>10}" for a in ("escalate", "pending", "none")
        )
        lines.append(f"{expected:<11}{counts}")
    if len(report.groups) > 1:
        lines.append("\ngroup                                   cases  status-ok  exact")
        for group, tally in sorted(report.groups.items()):
            lines.append(
                f"{group:<38} {tally['total']:>6} {tally['status_ok'] / tally['total']:>9.1%} "
                f"{tally['exact'] / tally['total']:>6.1%}"
            )
    lines.append(
        f"\nmisses: {len(report.misses)}"
        + (f" (first {max_misses})" if len(report.misses) > max_misses else "")
    )
    for miss in report.misses[:max_misses]:
        lines.append(
            f"  {miss.id}{f' [{miss.group}]' if miss.group else ''}\n"
            f"    expected {json.dumps(miss.expected)}\n    actual   {json.dumps(miss.actual)}"
        )
    return "\n".join(lines)


def _percent(value: float | int | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def summary(policy: Policy) -> str:
    """What `handoff check-config` prints about a valid workspace."""
    model = policy.model
    lines = [
        f"workspace: {model.workspace}",
        f"topics: {len(model.topics)} ({', '.join(model.topics)})",
        f"in scope: {', '.join(model.scope.topics)}",
    ]
    if model.escalation.always_topics:
        lines.append(f"always escalate: {', '.join(model.escalation.always_topics)}")
    lines.append(f"narrowing: {policy.narrowing.describe()}")
    for name, agent in model.sub_agents.items():
        details = ", ".join(f"{i.name} ({i.kind.value})" for i in agent.collect) or "no details"
        lines.append(
            f"sub agent {name}: handoff {agent.handoff.value}; "
            f"topics {', '.join(agent.topics) or '-'}; "
            f"collects {details}; target {policy.target_for(name) or '-'}"
        )
    targets = ", ".join(
        f"{n} ({', '.join(p for p in ('zendesk', 'intercom', 'slack') if getattr(t, p))})"
        for n, t in model.gateway.targets.items()
    )
    lines.append(
        f"targets: {targets or '-'}; default: {model.gateway.target or '- (tag and note only)'}"
    )
    lines.append(_actions_summary(model))
    return "\n".join(lines)


def _actions_summary(model: Any) -> str:
    """How the workspace acts: dry run, or live on which platforms with which secret NAMES."""
    platforms = [p for p in ("zendesk", "intercom", "slack") if getattr(model.platforms, p)]
    if model.handover.dry_run:
        return f"actions: dry run on {', '.join(platforms) or '-'} (requests recorded, not sent)"
    names = [name for p in platforms for _, name in getattr(model.platforms, p).api_secrets()]
    return (
        f"actions: live on {', '.join(platforms) or '-'}; "
        f"secrets it needs at run time: {', '.join(names) or '-'}"
    )
