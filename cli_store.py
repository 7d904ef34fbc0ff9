"""The `handoff` commands that read or erase stored data: events, conversations, forget.

`cli.main` registers `COMMANDS`. SQLAlchemy and the store are imported inside the
commands, so that `handoff detect` starts without them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from cli_common import fail, settings_or_exit, workspaces_or_exit


@click.command()
@click.option("--failed", is_flag=True, help="Only events that failed (with path and reason).")
@click.option("--workspace", default=None, help="Only this workspace's events.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
def events(failed: bool, workspace: str | None, limit: int) -> None:
    """List stored webhook events, newest first, with their status."""
    from handover.store import list_events

    database = _existing_database(settings_or_exit().database_url)
    with _migrated(database) as session:
        rows = list_events(session, failed_only=failed, workspace=workspace, limit=limit)
        for row in rows:
            click.echo(_event_line(row))
    database.dispose()
    if not rows:
        click.echo("no events", err=True)


@click.command()
@click.option("--workspace", default=None, help="Only this workspace's conversations.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
def conversations(workspace: str | None, limit: int) -> None:
    """List conversations, latest first, with their state and latest decision."""
    from handover.conversations import latest_conversations

    database = _existing_database(settings_or_exit().database_url)
    with _migrated(database) as session:
        rows = latest_conversations(session, workspace, limit)
        for conversation, decision in rows:
            click.echo(_conversation_line(conversation, decision))
    database.dispose()
    if not rows:
        click.echo("no conversations", err=True)


@click.command()
@click.option("--workspace", required=True, help="The conversation's workspace.")
@click.option("--platform", required=True, type=click.Choice(["zendesk", "intercom", "slack"]))
@click.option("--conversation", "conversation_id", required=True, help="The platform's id.")
def audit(workspace: str, platform: str, conversation_id: str) -> None:
    """Show a conversation's audit trail: decisions, state changes and action attempts."""
    from sqlalchemy import select

    from handover.commands import find_conversation
    from handover.models import AuditRecord

    database = _existing_database(settings_or_exit().database_url)
    with _migrated(database) as session:
        found = find_conversation(session, workspace, platform, conversation_id)
        query = select(AuditRecord).order_by(AuditRecord.id)
        rows = (
            []
            if found is None
            else session.scalars(query.where(AuditRecord.conversation_id == found.id))
        )
        lines = [_audit_line(row) for row in rows]
    database.dispose()
    if found is None:
        fail([f"no conversation {workspace}/{platform}/{conversation_id} is stored"])
    click.echo("\n".join(lines) if lines else "no audit lines")


def _audit_line(row: Any) -> str:
    """One audit row: time, what it is about, the outcome, and its details as JSON."""
    detail = {key: value for key, value in row.detail.items() if value not in (None, [], "")}
    version = f"  config {row.config_version}" if row.config_version else ""
    when = row.created_at.strftime("%Y-%m-%d %H:%M:%S")
    return f"{when}  {row.subject} {row.what}{version}  {json.dumps(detail, ensure_ascii=False)}"


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
        fail(
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
            fail(
                [
                    f"the database {name} is not ready ({exc.orig}): run `handoff db upgrade` "
                    "first, or set HANDOFF_DATABASE_URL to the server's database"
                ]
            )
        fail([f"cannot read the database {name} ({exc.orig}): check HANDOFF_DATABASE_URL"])


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


@click.command()
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
    settings = settings_or_exit()
    served = workspaces_or_exit(settings).names()
    if workspace not in served and not _stores_workspace(settings.database_url, workspace):
        fail(
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
        fail([f"forget: {exc}; nothing was deleted"])
    finally:
        database.dispose()
    names = ", ".join(gone.conversations) or "none"
    click.echo(f"deleted conversations: {names}")
    click.echo(
        f"deleted {gone.messages} messages, {gone.decisions} decisions, {gone.events} raw events"
    )


COMMANDS: tuple[click.Command, ...] = (events, conversations, forget, audit)
"""The stored-data commands, for `cli.main` to register."""
