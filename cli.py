"""The `handoff` command: detect, eval, check-config (later: serve, worker, demo, ...).

Only this module and `app.py` know click/Flask; the work itself lives in `escalation/`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from escalation.decision import CaseError, Decision
from escalation.detectors import DETECTORS, Detector, make_detector
from escalation.evaluate import Report, group_of, read_expectation
from escalation.policy import ConfigInvalid, Policy, load_policy
from escalation.runner import RunResult, decide_lines

if TYPE_CHECKING:
    from handover.settings import Settings
    from handover.workspaces import Workspaces

CONFIG_HELP = "Workspace YAML file (see README: workspace keys)."
EXAMPLE_WEBHOOKS = Path(__file__).resolve().parent / "examples" / "webhooks"
"""The example webhook bodies, wherever `handoff` runs from (an editable install)."""
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
    """Score the detector on labelled cases (each line carries an `expect` object).

    Exit 0 when every line was scored, 1 when some could not be (listed on stderr),
    2 when the workspace file is invalid.
    """
    chosen = make_detector(detector, _policy_or_exit(config_path))
    report = _score(jsonl_lines(input_path), chosen, group_by)
    if output_format == "json":
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(_report_text(report, max_misses))
    sys.exit(1 if report.errors else 0)


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
    lines.append(_actions_summary(model))
    return "\n".join(lines)


def _actions_summary(model: Any) -> str:
    """How the workspace acts: dry run, or live on which platforms with which secret NAMES."""
    platforms = [p for p in ("zendesk", "intercom", "slack") if getattr(model.platforms, p)]
    if model.handover.dry_run:
        return f"actions: dry run on {', '.join(platforms) or '-'} (requests recorded, not sent)"
    names = [
        name
        for p in platforms
        for key in ("api_token", "access_token", "bot_token")
        if (name := getattr(getattr(model.platforms, p), key, None))
    ]
    return (
        f"actions: live on {', '.join(platforms) or '-'}; "
        f"secrets it needs at run time: {', '.join(names) or '-'}"
    )


@main.command()
@click.option("--host", default=None, help="Address to bind (default: HANDOFF_HOST, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Default: HANDOFF_PORT, 8000."
)
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True)
@click.option("--threads", type=click.IntRange(1), default=8, show_default=True)
@click.option(
    "--worker/--no-worker",
    "embedded",
    default=None,
    help="Run the job worker inside the server (default: HANDOFF_EMBEDDED_WORKER, on).",
)
def serve(
    host: str | None, port: int | None, workers: int, threads: int, embedded: bool | None
) -> None:
    """Serve the webhooks (gunicorn gthread, else Flask's server) with the embedded worker."""
    from handover.metrics_dir import share_metrics

    share_metrics(Path(os.environ.get("HANDOFF_METRICS_DIR", "var/metrics")))
    import server

    overrides = {"host": host, "port": port, "embedded_worker": embedded}
    settings = _settings_or_exit().model_copy(
        update={k: v for k, v in overrides.items() if v is not None}
    )
    options = server.ServeOptions(workers, threads, settings.embedded_worker)
    click.echo(server.banner(settings, _workspaces_or_exit(settings), options))
    server.serve(settings, options)


@main.command(name="demo")
@click.option("--url", default=None, help="The server (default: http://127.0.0.1:HANDOFF_PORT).")
@click.option("--workspace", default=None, help="Default: the first served workspace.")
@click.option(
    "--timeout", type=float, default=15.0, show_default=True, help="Seconds per platform."
)
def demo_command(url: str | None, workspace: str | None, timeout: float) -> None:
    """POST a signed escalating conversation per platform to a running server; show the result.

    Prints, per platform, the decision, the state (`should_reply`) and every action with
    the requests it sent (or, in dry run, would send), read back from the state API.
    """
    import urllib.error

    import demo
    import server

    settings = _settings_or_exit()
    base = url or server.base_url(settings)
    try:
        for line in demo.run(base, _workspaces_or_exit(settings), workspace, timeout):
            click.echo(line)
    except LookupError as exc:
        _fail([str(exc)])
    except urllib.error.URLError as exc:
        _fail([f"no Handoff server answers at {base} ({exc.reason}); start one with `make run`"])


@main.command(name="webhook-example")
@click.option("--platform", type=click.Choice(["zendesk", "intercom", "slack"]), default="zendesk")
@click.option("--workspace", default=None, help="Default: the first served one on that platform.")
@click.option(
    "--body",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON body to send (default: examples/webhooks/<platform>.json in the project).",
)
def webhook_example(platform: str, workspace: str | None, body: Path | None) -> None:
    """Print a curl command that POSTs a signed example event to `handoff serve`.

    The signature uses the workspace's secret from the environment (or secrets file) and
    is valid for 5 minutes; each command carries a fresh delivery id.
    """
    import server

    settings = _settings_or_exit()
    path = body or EXAMPLE_WEBHOOKS / f"{platform}.json"
    if not path.is_file():
        _fail([f"the example webhook body {path} is missing: give one with --body FILE"])
    try:
        click.echo(
            server.webhook_example(
                settings, _workspaces_or_exit(settings), platform, workspace, path
            )
        )
    except LookupError as exc:
        _fail([str(exc)])


def _settings_or_exit() -> Settings:
    """Settings from the `HANDOFF_*` environment; each problem on stderr and exit 2."""
    from pydantic import ValidationError

    from handover.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = [
            f"HANDOFF_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        ]
        _fail(problems)


def _workspaces_or_exit(settings: Settings) -> Workspaces:
    """The served workspaces; every problem on stderr and exit 2 when a file is invalid."""
    from handover.workspaces import Workspaces

    try:
        return Workspaces.load(settings.workspaces, settings.secrets_file)
    except ConfigInvalid as exc:
        _fail(exc.problems)


@main.group()
def db() -> None:
    """The event store's database (HANDOFF_DATABASE_URL)."""


@db.command(name="upgrade")
def db_upgrade() -> None:
    """Apply the database migrations up to the newest revision."""
    from handover import migrate
    from handover.observability import configure_logging
    from handover.settings import Settings

    configure_logging()
    url = Settings().database_url
    migrate.upgrade(url)
    click.echo(f"database at revision {migrate.current(url)}")


@main.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def worker(workers: int) -> None:
    """Process stored events (huey consumer), with the periodic sweep and purge."""
    from handover import worker as consumer
    from handover.observability import configure_logging
    from handover.runtime import Runtime
    from handover.settings import Settings

    configure_logging()
    try:
        runtime = Runtime.create(Settings())
    except ConfigInvalid as exc:
        _fail(exc.problems)
    consumer.run(runtime, workers)


@main.command()
@click.option("--failed", is_flag=True, help="Only events that failed (with path and reason).")
@click.option("--workspace", default=None, help="Only this workspace's events.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
def events(failed: bool, workspace: str | None, limit: int) -> None:
    """List stored webhook events, newest first, with their status."""
    from handover.store import list_events

    database = _existing_database(_settings_or_exit().database_url)
    with _migrated(database) as session:
        rows = list_events(session, failed_only=failed, workspace=workspace, limit=limit)
        for row in rows:
            click.echo(_event_line(row))
    database.dispose()
    if not rows:
        click.echo("no events", err=True)


@main.command()
@click.option("--workspace", default=None, help="Only this workspace's conversations.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
def conversations(workspace: str | None, limit: int) -> None:
    """List conversations, latest first, with their state and latest decision."""
    from handover.conversations import latest_conversations

    database = _existing_database(_settings_or_exit().database_url)
    with _migrated(database) as session:
        rows = latest_conversations(session, workspace, limit)
        for conversation, decision in rows:
            click.echo(_conversation_line(conversation, decision))
    database.dispose()
    if not rows:
        click.echo("no conversations", err=True)


def _conversation_line(conversation: Any, decision: Any) -> str:
    head = (
        f"{conversation.workspace}/{conversation.platform}/{conversation.external_id}  "
        f"{conversation.state}  episode {conversation.episode}"
    )
    if decision is None:
        return head
    verdict = " ".join(str(v) for v in (decision.status, decision.signal, decision.target) if v)
    return f"{head}\n    {verdict or decision.cause}: {decision.reason}"


def _database_name(url: Any) -> str:
    """A database URL for messages: the password masked, a SQLite file's full path added."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        full = Path(str(parsed.database)).resolve()
        if str(full) != parsed.database:
            name += f" ({full})"
    return name


def _stores_workspace(url: str, workspace: str) -> bool:
    """Tell whether the database holds events or conversations of a workspace.

    `forget` also erases what a workspace that is no longer served left behind.
    """
    from sqlalchemy import select

    from handover.models import Conversation, StoredEvent
    from handover.store import Database

    if _sqlite_missing(url):
        return False
    database = Database.connect(url)
    try:
        with _migrated(database) as session:
            return any(
                session.scalar(select(column).where(column == workspace).limit(1)) is not None
                for column in (StoredEvent.workspace, Conversation.workspace)
            )
    finally:
        database.dispose()


def _sqlite_missing(url: str) -> bool:
    """Tell whether `url` names a SQLite file that does not exist (yet)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database
    return (
        parsed.get_backend_name() == "sqlite"
        and database not in (None, "", ":memory:")
        and "uri" not in parsed.query
        and not Path(str(database)).exists()
    )


def _existing_database(url: str) -> Any:
    """Connect to the database to read from.

    A SQLite file that does not exist is an error naming it (a relative path is relative
    to the current directory), not a new empty file.
    """
    from handover.store import Database

    if _sqlite_missing(url):
        _fail(
            [
                f"no database at {_database_name(url)}: run `handoff db upgrade` first, or set "
                "HANDOFF_DATABASE_URL to the server's database"
            ]
        )
    return Database.connect(url)


@contextmanager
def _migrated(database: Any) -> Iterator[Any]:
    """A read session, or a clear error when the database has not been migrated yet."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        with database.read() as session:
            yield session
    except (OperationalError, ProgrammingError) as exc:
        database.dispose()
        name = _database_name(database.engine.url)
        if isinstance(exc, ProgrammingError) or "no such table" in str(exc.orig):
            _fail(
                [
                    f"the database {name} is not ready ({exc.orig}): run `handoff db upgrade` "
                    "first, or set HANDOFF_DATABASE_URL to the server's database"
                ]
            )
        _fail([f"cannot read the database {name} ({exc.orig}): check HANDOFF_DATABASE_URL"])


def _event_line(row: Any) -> str:
    """One stored event as text; failed and skipped ones with where and why."""
    head = (
        f"{row.id:>7}  {row.received_at:%Y-%m-%d %H:%M:%S}  {row.status:<9}  "
        f"{row.workspace}/{row.platform}  {row.event_type}  {row.delivery_id}"
    )
    if row.status == "failed":
        return f"{head}\n         at {row.error_path}: {row.error_reason}"
    if row.error_reason:
        return f"{head}\n         ({row.error_reason}; attempts {row.attempts})"
    return head


@main.command()
@click.option("--workspace", required=True)
@click.option("--conversation", "conversation_id", default=None, help="Platform conversation id.")
@click.option("--email", default=None, help="The customer's email address.")
@click.option("--platform", default=None, type=click.Choice(["zendesk", "intercom", "slack"]))
def forget(
    workspace: str, conversation_id: str | None, email: str | None, platform: str | None
) -> None:
    """Delete a customer's stored conversations, messages, decisions and raw events."""
    from handover.forget import forget as forget_customer
    from handover.observability import configure_logging
    from handover.store import Database

    if (conversation_id is None) == (email is None):
        raise click.UsageError("give either --conversation or --email")
    settings = _settings_or_exit()
    served = _workspaces_or_exit(settings).names()
    if workspace not in served and not _stores_workspace(settings.database_url, workspace):
        _fail(
            [
                f"forget: unknown workspace {workspace!r}: not served (HANDOFF_WORKSPACES "
                f"{settings.workspaces} serves {', '.join(served) or 'none'}) and nothing is "
                f"stored for it in {_database_name(settings.database_url)}; nothing was deleted"
            ]
        )
    configure_logging()
    database = Database.connect(settings.database_url)
    try:
        gone = forget_customer(
            database, workspace, conversation=conversation_id, email=email, platform=platform
        )
    except ValueError as exc:  # an empty or invalid selector: nothing was deleted
        _fail([f"forget: {exc}; nothing was deleted"])
    finally:
        database.dispose()
    names = ", ".join(gone.conversations) or "none"
    click.echo(f"deleted conversations: {names}")
    click.echo(
        f"deleted {gone.messages} messages, {gone.decisions} decisions, {gone.events} raw events"
    )


if __name__ == "__main__":
    main()
