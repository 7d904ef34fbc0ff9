"""Slack teammates given as a user group: its members' replies are `agent` replies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from structlog.testing import capture_logs

from handover.clients import Clients
from handover.runtime import Runtime
from handover.teammates import Teammates
from tests.connectors.slack_fake import SlackFake
from tests.intake import helpers
from tests.intake.flow import process, slack_message
from tests.intake.handover_env import SECRETS, act_for_real, fake_builder

ROOT_TS = "1717000000.123400"


@pytest.fixture
def slack() -> Any:
    with SlackFake() as fake:
        yield fake


@pytest.fixture
def grouped(make_runtime: Any, workdir: Path, slack: SlackFake, monkeypatch: Any) -> Runtime:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    path = workdir / "acme.yaml"
    act_for_real(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["platforms"]["slack"]["teammate_usergroups"] = ["S0SUPPORT"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    runtime: Runtime = make_runtime()
    runtime.clients = Clients(runtime.workspaces, build=fake_builder(slack))
    return runtime


def test_a_user_group_members_reply_moves_the_conversation_to_the_team(
    backend: str, grouped: Runtime, slack: SlackFake
) -> None:
    slack.respond("usergroups.users.list", {"ok": True, "users": ["U0RITA", "U0SAM"]})
    process(grouped, "slack", slack_message(ROOT_TS, "I need a human please", "EvG1"))
    reply = slack_message("1717000050.000001", "Hi, Rita here, on it.", "EvG2", user="U0RITA")
    process(grouped, "slack", reply)
    assert helpers.conversations(grouped)[0].state == "with_team"
    assert [m.role for m in helpers.messages(grouped)] == ["user", "agent"]
    lookups = slack.calls("usergroups.users.list")
    assert len(lookups) == 1  # cached for the second event
    assert lookups[0].body["usergroup"] == "S0SUPPORT"


def test_a_failed_lookup_is_logged_and_processing_goes_on(
    backend: str, grouped: Runtime, slack: SlackFake
) -> None:
    slack.respond("usergroups.users.list", {"ok": False, "error": "missing_scope"})
    with capture_logs() as logs:
        process(grouped, "slack", slack_message(ROOT_TS, "I need a human please", "EvG3"))
    assert helpers.conversations(grouped)[0].state == "escalated"
    failures = [line for line in logs if line["event"] == "teammates.lookup_failed"]
    assert len(failures) == 1 and "missing_scope" in failures[0]["error"]


def test_members_are_cached_then_looked_up_again(slack: SlackFake) -> None:
    now = [0.0]
    teammates = Teammates(clock=lambda: now[0])
    clients = Clients(None, build=fake_builder(slack))  # type: ignore[arg-type]
    slack.respond("usergroups.users.list", {"ok": True, "users": ["U1"]})
    assert teammates.members(clients, "acme", ("S1",)) == {"U1"}
    slack.respond("usergroups.users.list", {"ok": True, "users": ["U1", "U2"]})
    now[0] = 599.0
    assert teammates.members(clients, "acme", ("S1",)) == {"U1"}
    now[0] = 601.0
    assert teammates.members(clients, "acme", ("S1",)) == {"U1", "U2"}
    slack.respond("usergroups.users.list", {"ok": False, "error": "ratelimited"}, status=429)
    now[0] = 1300.0
    assert teammates.members(clients, "acme", ("S1",)) == {"U1", "U2"}  # last known kept
