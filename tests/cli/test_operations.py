"""`handoff forget | events | conversations`: the errors a wrong workspace or database gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import cli_store
from cli import main
from handover import migrate, observability
from tests.conftest import EXAMPLE_WORKSPACE


@pytest.fixture(autouse=True)
def served(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve the example workspace (`acme-shoes`); keep the suite's logging as it is."""
    monkeypatch.setenv("HANDOFF_WORKSPACES", str(EXAMPLE_WORKSPACE))
    monkeypatch.setattr(observability, "_configured", True)


@pytest.fixture
def migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty migrated SQLite database, as HANDOFF_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'handoff.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", url)
    return url


@pytest.mark.usefixtures("migrated")
def test_forget_in_an_unknown_workspace_is_an_error_naming_it() -> None:
    result = CliRunner().invoke(main, ["forget", "--workspace", "nope", "--email", "a@b.io"])
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("forget: unknown workspace 'nope': not served")
    assert f"HANDOFF_WORKSPACES {EXAMPLE_WORKSPACE} serves acme-shoes" in line
    assert line.endswith("nothing was deleted")


@pytest.mark.usefixtures("migrated")
def test_forget_in_a_served_workspace_runs() -> None:
    args = ["forget", "--workspace", "acme-shoes", "--conversation", "123"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "deleted conversations: none" in result.stdout


def test_forget_erases_what_a_workspace_no_longer_served_left(migrated: str) -> None:
    from handover.models import Conversation, utcnow
    from handover.store import Database

    database = Database.connect(migrated)
    now = utcnow()
    try:
        with database.write() as session:
            session.add(
                Conversation(
                    workspace="retired",
                    platform="slack",
                    external_id="C1:1",
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        database.dispose()
    args = ["forget", "--workspace", "retired", "--conversation", "C1:1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "deleted conversations: slack/C1:1" in result.stdout


def test_forget_with_no_database_names_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    result = CliRunner().invoke(main, ["forget", "--workspace", "nope", "--email", "a@b.io"])
    assert result.exit_code == 2 and "unknown workspace 'nope'" in result.stderr
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("command", ["events", "conversations"])
def test_reading_a_missing_sqlite_file_names_it_without_creating_it(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HANDOFF_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # the default sqlite:///var/handoff.db is relative
    result = CliRunner().invoke(main, [command])
    assert result.exit_code == 2
    full = tmp_path.resolve() / "var" / "handoff.db"
    assert result.stderr.splitlines() == [
        f"no database at sqlite:///var/handoff.db ({full}): run `handoff db upgrade` first, "
        "or set HANDOFF_DATABASE_URL to the server's database"
    ]
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("command", ["events", "conversations"])
def test_an_unmigrated_database_is_named_in_the_error(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    monkeypatch.setenv("HANDOFF_DATABASE_URL", f"sqlite:///{empty}")
    result = CliRunner().invoke(main, [command])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"the database sqlite:///{empty} is not ready (no such table: ")
    assert "run `handoff db upgrade` first" in line and "HANDOFF_DATABASE_URL" in line


def test_database_urls_in_messages_never_show_the_password() -> None:
    name = cli_store._database_name("postgresql+psycopg://handoff:s3cret@db.internal:5432/handoff")
    assert name == "postgresql+psycopg://handoff:***@db.internal:5432/handoff"


def test_an_unreachable_database_is_not_called_unmigrated(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://handoff:s3cret@127.0.0.1:1/handoff?connect_timeout=2"
    monkeypatch.setenv("HANDOFF_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["events"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "cannot read the database postgresql+psycopg://handoff:***@127.0.0.1:1/handoff"
    )
    assert "s3cret" not in result.output and "check HANDOFF_DATABASE_URL" in result.stderr
