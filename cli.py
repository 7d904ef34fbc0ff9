"""The `handoff` command: the group, and the detection commands detect, eval, check-config.

The operations commands (serve, worker, db, demo, webhook-example) live in `cli_ops` and
the stored-data ones (events, conversations, forget) in `cli_store`; both are registered
here. Only the `cli*` modules and `app.py` know click/Flask; the work itself lives in
`escalation/`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator

import click

import cli_ops
import cli_store
from cli_common import fail
from cli_format import report_text, summary, table_row
from escalation.decision import CaseError
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


for _command in (*cli_ops.COMMANDS, *cli_store.COMMANDS):
    main.add_command(_command)


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
            click.echo(table_row(raw, outcome))
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
    """Score the detector on labelled cases (each line carries an `expect` object).

    Exit 0 when every line was scored, 1 when some could not be (listed on stderr),
    2 when the workspace file is invalid.
    """
    chosen = make_detector(detector, _policy_or_exit(config_path))
    report = _score(jsonl_lines(input_path), chosen, group_by)
    if output_format == "json":
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(report_text(report, max_misses))
    sys.exit(1 if report.errors else 0)


@main.command(name="check-config")
@_config_option
def check_config(config_path: str) -> None:
    """Validate a workspace file: print "ok" and a summary, or every problem (exit 2)."""
    policy = _policy_or_exit(config_path)
    click.echo("ok")
    click.echo(summary(policy))


def jsonl_lines(path: str) -> Iterator[str]:
    """Lines of a JSONL file or stdin ("-").

    Split at newlines only, so a stray carriage return stays inside its line; a CRLF
    ending is removed.
    """
    try:
        stream = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        fail([f"{path}: cannot read the input: {exc.strerror}"])
    with stream:
        for line in stream:
            yield line.decode("utf-8", errors="replace").removesuffix("\n").removesuffix("\r")


def _policy_or_exit(path: str) -> Policy:
    try:
        return load_policy(path)
    except ConfigInvalid as exc:
        fail(exc.problems)


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


if __name__ == "__main__":
    main()
