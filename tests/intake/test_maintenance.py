"""Retention purge, `forget`, processing errors, and the `db upgrade` / `forget` commands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from handover import jobs, maintenance, migrate
from handover.models import EventStatus, utcnow
from handover.runtime import Runtime
from tests.intake import helpers
from tests.intake.backends import environment, fixture_body
from tests.intake.flow import ingest, replay

SLACK = fixture_body("slack", "message.channels")


def test_purge_removes_old_raw_bodies_only(runtime: Runtime) -> None:
    old = ingest(runtime, "slack", SLACK, received_at=utcnow() - timedelta(days=31))
    recent = ingest(runtime, "slack", fixture_body("slack", "message.im"))
    assert jobs.process_event(runtime, recent) is EventStatus.PROCESSED
    assert maintenance.purge(runtime) == 1
    assert maintenance.purge(runtime) == 0
    assert helpers.event(runtime, old).body is None
    assert helpers.event(runtime, recent).body is not None
    assert jobs.process_event(runtime, old) is EventStatus.FAILED  # purged before processing
    assert helpers.event(runtime, old).error_reason == "raw body purged before processing"
    assert len(helpers.messages(runtime)) == 1  # the transcript is not the raw body


def test_forget_a_conversation_by_id(runtime: Runtime) -> None:
    replay(runtime, "intercom", "conversation.user.replied", "conversation.admin.replied")
    replay(runtime, "slack", "message.im")
    result = CliRunner().invoke(
        main,
        ["forget", "--workspace", "acme", "--conversation", "215469620112938"],
        env=environment(runtime.settings),
    )
    assert result.exit_code == 0, result.output
    assert "deleted conversations: intercom/215469620112938" in result.output
    assert "deleted 2 messages, 2 decisions, 2 raw events" in result.output
    assert [c.platform for c in helpers.conversations(runtime)] == ["slack"]
    assert helpers.count(runtime, helpers.StoredEvent) == 1
    assert {m.role for m in helpers.messages(runtime)} == {"user"}


def test_forget_by_email_also_removes_unlinked_raw_events(runtime: Runtime) -> None:
    replay(runtime, "intercom", "conversation.user.created", "conversation.user.replied")
    failed = ingest(
        runtime,
        "intercom",
        b'{"email": "Elodie.Martin@example.fr"',
        delivery_id="x",
        event_type="?",
    )
    assert jobs.process_event(runtime, failed) is EventStatus.FAILED
    replay(runtime, "zendesk", "ticket.comment_added")
    gone = maintenance.forget(runtime.db, "acme", email="ELODIE.MARTIN@example.fr")
    assert gone.conversations == ("intercom/215469620112938",)
    assert (gone.messages, gone.decisions, gone.events) == (2, 2, 3)
    assert [c.platform for c in helpers.conversations(runtime)] == ["zendesk"]
    assert helpers.count(runtime, helpers.StoredEvent) == 1


def test_forget_needs_exactly_one_selector(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        maintenance.forget(runtime.db, "acme")
    result = CliRunner().invoke(main, ["forget", "--workspace", "acme"])
    assert result.exit_code == 2 and "either --conversation or --email" in result.output


def test_forget_of_an_unknown_customer_deletes_nothing(runtime: Runtime) -> None:
    replay(runtime, "slack", "message.im")
    gone = maintenance.forget(runtime.db, "acme", conversation="nope")
    assert (gone.conversations, gone.messages, gone.decisions, gone.events) == ((), 0, 0, 0)
    assert helpers.count(runtime, helpers.StoredEvent) == 1


def test_a_processing_error_is_retried_then_kept_as_failed(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(jobs, "apply_event", broken)
    event_id = ingest(runtime, "slack", SLACK)
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        with pytest.raises(RuntimeError):
            jobs.process_event(runtime, event_id)
        stored = helpers.event(runtime, event_id)
        assert stored.attempts == attempt
    assert stored.status == EventStatus.FAILED
    assert stored.error_reason == "gave up after 5 attempts: RuntimeError: database went away"
    assert helpers.conversations(runtime) == []


def test_a_processing_error_leaves_the_event_for_the_next_attempt(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    event_id = ingest(runtime, "slack", SLACK)
    with monkeypatch.context() as patched:
        patched.setattr(jobs, "apply_event", lambda *args: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            jobs.process_event(runtime, event_id)
    stored = helpers.event(runtime, event_id)
    assert (stored.status, stored.attempts) == (EventStatus.STORED, 1)
    assert stored.error_reason == "ZeroDivisionError: division by zero"
    assert jobs.process_event(runtime, event_id) is EventStatus.PROCESSED  # huey's retry
    processed = helpers.event(runtime, event_id)
    assert (processed.attempts, processed.error_reason) == (2, None)
    assert len(helpers.messages(runtime)) == 1


def test_db_upgrade_command_migrates_a_new_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'handoff.db'}"
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"HANDOFF_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "database at revision 0002"
    assert migrate.current(url) == "0002"


def test_runtime_migrates_on_start_when_asked(make_settings: object, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    settings = make_settings(database_url=url, migrate_on_start=True)  # type: ignore[operator]
    runtime = Runtime.create(settings)
    try:
        assert migrate.current(url) == "0002"
    finally:
        runtime.close()
