"""The `handoff` command: detect, eval, check-config (later: serve, worker, demo, ...).

Only this module and `app.py` know click/Flask; the work itself lives in `escalation/`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any, NoReturn

import click

from escalation.decision import CaseError, Decision
from escalation.detectors import DETECTORS, Detector, make_detector
from escalation.evaluate import Report, group_of, read_expectation
from escalation.policy import ConfigInvalid, Policy, load_policy
from escalation.runner import RunResult, decide_lines

CONFIG_HELP = "Workspace YAML file (see README: workspace keys)."
_config_option = click.option(
    "--config", "config_path", required=True, type=click.Path(dir_okay=False), help=CONFIG_HELP
)
_input_option = click.option(
    "--input",
    "input_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="Cases as JSONL (default: standard input).",
)
_detector_option = click.option(
    "--detector",
    default="rules",
    show_default=True,
    type=click.Choice(sorted(DETECTORS)),
    help="Which detector decides; `rules` is offline and needs no model.",
)


@click.group()
@click.version_option(package_name="handoff")
def main() -> None:
    """Handoff: decide when an AI support conversation must go to a human, and hand it over."""


@main.command()
@_config_option
@_input_option
@_detector_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["jsonl", "table"]),
    default="jsonl",
    show_default=True,
    help="`table` prints the decisions for people.",
)
def detect(config_path: str, input_path: str, detector: str, output_format: str) -> None:
    """Decide each case (one JSON object per line) and write one decision per line, in order.

    Exit 0 when every line was decided, 1 when some lines were not valid cases (each still
    gets an {"id", "error"} line), 2 when the workspace file is invalid.
    """
    chosen = make_detector(detector, _policy_or_exit(config_path))
    result = RunResult()
    for raw, outcome in decide_lines(jsonl_lines(input_path), chosen, result):
        if output_format == "table":
            click.echo(_table_row(raw, outcome))
        else:
            click.echo(json.dumps(outcome.to_json(), ensure_ascii=False))
    if output_format == "table":
        click.echo(f"\n{result.decided} decided, {result.failed} invalid", err=True)
    sys.exit(1 if result.failed else 0)


@main.command(name="eval")
@_config_option
@_input_option
@_detector_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--group-by",
    default=None,
    metavar="PATH",
    help="Also report per value of this case field, e.g. label.subset.",
)
@click.option("--max-misses", default=50, show_default=True, help="Misses listed in text output.")
def evaluate(
    config_path: str,
    input_path: str,
    detector: str,
    output_format: str,
    group_by: str | None,
    max_misses: int,
) -> None:
    """Score the detector on labelled cases (each line carries an `expect` object)."""
    chosen = make_detector(detector, _policy_or_exit(config_path))
    report = _score(jsonl_lines(input_path), chosen, group_by)
    if output_format == "json":
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(_report_text(report, max_misses))


@main.command(name="check-config")
@_config_option
def check_config(config_path: str) -> None:
    """Validate a workspace file: print "ok" and a summary, or every problem (exit 2)."""
    policy = _policy_or_exit(config_path)
    click.echo("ok")
    click.echo(_summary(policy))


def jsonl_lines(path: str) -> Iterator[str]:
    """Lines of a JSONL file or stdin ("-").

    Split at newlines only, so a stray carriage return stays inside its line; a CRLF
    ending is removed.
    """
    try:
        stream = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        _fail([f"{path}: cannot read the input: {exc.strerror}"])
    with stream:
        for line in stream:
            yield line.decode("utf-8", errors="replace").removesuffix("\n").removesuffix("\r")


def _policy_or_exit(path: str) -> Policy:
    try:
        return load_policy(path)
    except ConfigInvalid as exc:
        _fail(exc.problems)


def _fail(problems: list[str]) -> NoReturn:
    for problem in problems:
        click.echo(problem, err=True)
    sys.exit(2)


def _score(lines: Iterable[str], detector: Detector, group_by: str | None) -> Report:
    report = Report()
    for raw, outcome in decide_lines(lines, detector, RunResult()):
        if isinstance(outcome, CaseError):
            report.errors += 1
            click.echo(f"error: {outcome.error}", err=True)
            continue
        try:
            expectation = read_expectation(raw.get("expect"))
        except ValueError as exc:
            report.errors += 1
            click.echo(f"error: case {outcome.id}: {exc}", err=True)
            continue
        report.add(expectation, outcome, outcome.id, group_of(raw, group_by))
    return report


def _table_row(raw: dict[str, Any], outcome: Decision | CaseError) -> str:
    if isinstance(outcome, CaseError):
        return f"{outcome.id or '?':<40} ERROR    {outcome.error}"
    missing = f" missing={','.join(outcome.missing)}" if outcome.missing else ""
    route = f" → {outcome.target}" if outcome.target else ""
    signal = outcome.signal.value if outcome.signal else "-"
    agent = f" [{outcome.sub_agent}]" if outcome.sub_agent else ""
    head = f"{outcome.id:<40} {outcome.status.value:<8} {signal:<12}{agent}{route}{missing}"
    return f"{head}\n    {outcome.reason}"


def _report_text(report: Report, max_misses: int) -> str:
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


def _summary(policy: Policy) -> str:
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
    return "\n".join(lines)


if __name__ == "__main__":
    main()
