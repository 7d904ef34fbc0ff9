"""`forget`: every stored trace of one customer goes, whatever became of each raw event.

Raw events are only linked to their conversation when processed; events ignored, dropped,
failed or still waiting are found by the conversation id in their body. By email, the
address may appear only in a raw body or only as a collected detail. Other customers'
data stays. Runs on SQLite and on PostgreSQL (the `runtime` fixture's backends).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from cli import main
from connectors.model import Context, Identities, Platform
from handover import interpret, maintenance, observability
from handover.models import EventStatus, StoredEvent, StoredMessage
from handover.runtime import Runtime
from tests.intake import helpers
from tests.intake.backends import fixture_body, fixture_names
from tests.intake.flow import body, ingest, process, replay, slack_message, zendesk_comment

THREAD = "C07QX4M2B1N:1717000000.123400"
"""The recorded Slack thread (`message.channels` and its replies, edits and notes)."""


def stored_events(runtime: Runtime) -> list[tuple[str, str]]:
    """Every stored event as (platform, status), in id order."""
    with runtime.db.read() as session:
        rows = session.query(StoredEvent).order_by(StoredEvent.id)
        return [(row.platform, row.status) for row in rows]


def others(runtime: Runtime) -> None:
    """Another customer on each platform: a Slack DM, a Zendesk ticket, an Intercom chat."""
    replay(runtime, "slack", "message.im")
    replay(runtime, "zendesk", "trigger.ticket_updated")
    replay(runtime, "intercom", "conversation.user.replied")


def assert_others_kept(runtime: Runtime) -> None:
    """The three other customers' conversations, events and messages are all still there."""
    names = sorted(f"{c.platform}/{c.external_id}" for c in helpers.conversations(runtime))
    assert names == ["intercom/215469620112938", "slack/D07DM1A2B3C", "zendesk/8123"]
    assert stored_events(runtime) == [
        ("slack", "processed"),
        ("zendesk", "processed"),
        ("intercom", "processed"),
    ]
    assert len(helpers.messages(runtime)) == 3


def test_forget_by_conversation_deletes_its_events_whatever_became_of_them(
    runtime: Runtime,
) -> None:
    others(runtime)
    unusable = slack_message("1717000100.0001", "hi", "EvBad")
    unusable["event_time"] = "yesterday"
    outcomes = [
        process(runtime, "slack", fixture_body("slack", "message.channels")),
        process(runtime, "slack", fixture_body("slack", "message.channels--message_changed")),
        process(runtime, "slack", fixture_body("slack", "message.channels--handoff_note")),
        process(runtime, "slack", unusable),
    ]
    ingest(runtime, "slack", slack_message("1717000200.0002", "still there?", "EvWaiting"))
    assert outcomes == [
        EventStatus.PROCESSED,
        EventStatus.IGNORED,
        EventStatus.DROPPED,
        EventStatus.FAILED,
    ]
    with runtime.db.read() as session:  # only the processed one is linked to the thread
        linked = session.query(StoredEvent).filter(StoredEvent.conversation_id.is_not(None))
        assert linked.count() == 4  # 3 other customers' events + the processed one

    gone = maintenance.forget(runtime.db, "acme", conversation=THREAD)

    assert gone.conversations == (f"slack/{THREAD}",)
    assert (gone.events, gone.messages, gone.decisions) == (5, 1, 1)
    assert_others_kept(runtime)


def test_forget_by_ticket_id_finds_failed_and_waiting_zendesk_events(runtime: Runtime) -> None:
    others(runtime)
    replay(runtime, "zendesk", "ticket.comment_added")
    broken = zendesk_comment(30064117810600, "Hallo?", "2025-03-11T09:20:00Z", "zd-broken")
    del broken["event"]["comment"]["author"]["is_staff"]
    assert process(runtime, "zendesk", broken) is EventStatus.FAILED
    ingest(runtime, "zendesk", fixture_body("zendesk", "ticket.status_changed"))
    trigger = body("zendesk", "trigger.ticket_updated")
    trigger["ticket"]["id"] = "5158"
    ingest(runtime, "zendesk", trigger)

    assert maintenance.forget(runtime.db, "acme", conversation="5158", platform="intercom") == (
        maintenance.Forgotten((), messages=0, decisions=0, events=0)
    )
    gone = maintenance.forget(runtime.db, "acme", conversation="5158", platform="zendesk")

    assert gone.conversations == ("zendesk/5158",)
    assert (gone.events, gone.messages, gone.decisions) == (4, 1, 1)
    assert_others_kept(runtime)


def test_forget_by_an_email_only_in_a_zendesk_body_takes_the_whole_ticket(
    runtime: Runtime,
) -> None:
    others(runtime)
    status = body("zendesk", "ticket.status_changed")
    status["detail"]["description"] = "Bitte antworten Sie an Juergen.Weiss@Example.DE."
    assert process(runtime, "zendesk", status) is EventStatus.PROCESSED
    replay(runtime, "zendesk", "ticket.comment_added")  # the ticket's message: no address
    lookalike = slack_message("1717000300.0003", "mail xjuergen.weiss@example.de", "EvLike")
    ingest(runtime, "slack", lookalike)  # another customer's address that contains it
    assert not any("weiss@" in m.text.lower() for m in helpers.messages(runtime))

    gone = maintenance.forget(runtime.db, "acme", email=" JUERGEN.WEISS@example.de ")

    assert gone.conversations == ("zendesk/5158",)
    assert (gone.events, gone.messages) == (2, 1)
    assert stored_events(runtime)[-1] == ("slack", "stored")  # the lookalike stays
    with runtime.db.write() as session:
        session.query(StoredEvent).filter(StoredEvent.status == "stored").delete()
    assert_others_kept(runtime)


def test_forget_by_an_email_only_in_a_collected_detail(runtime: Runtime) -> None:
    others(runtime)
    text = "I want to return my boots, order AC-123456, my email is Kenji.Sato@example.jp"
    returns = slack_message("1717000400.0004", text, "EvReturns", thread_ts=None)
    returns["event"]["channel"] = "C07RETURNS1"
    assert process(runtime, "slack", returns) is EventStatus.PROCESSED
    [decision] = [d for d in helpers.decisions(runtime) if d.sub_agent == "returns"]
    assert decision.collected["email"] == "Kenji.Sato@example.jp"
    with runtime.db.write() as session:  # body purged, message edited: only the detail is left
        session.execute(update(StoredEvent).values(body=None))
        session.execute(
            update(StoredMessage)
            .where(StoredMessage.external_id == "1717000400.0004")
            .values(text="I want to return my boots")
        )

    gone = maintenance.forget(runtime.db, "acme", email="kenji.sato@EXAMPLE.jp")

    assert gone.conversations == ("slack/C07RETURNS1:1717000400.0004",)
    assert (gone.events, gone.messages, gone.decisions) == (1, 1, 1)
    assert_others_kept(runtime)


def test_forget_refuses_selectors_that_would_match_everything(runtime: Runtime) -> None:
    others(runtime)
    for selector in ({"email": ""}, {"email": "example.de"}, {"conversation": " "}):
        with pytest.raises(ValueError):
            maintenance.forget(runtime.db, "acme", **selector)
    assert_others_kept(runtime)


@pytest.mark.parametrize(
    ("selector", "problem"),
    [
        (["--email", "example.de"], "not an email address: 'example.de'"),
        (["--email", " "], "not an email address: ' '"),
        (["--conversation", " "], "empty conversation id"),
    ],
)
def test_the_cli_reports_an_invalid_selector_on_stderr_and_exits_2(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, selector: list[str], problem: str
) -> None:
    others(runtime)
    monkeypatch.setattr(observability, "_configured", True)  # keep the suite's logging as is
    env = {"HANDOFF_DATABASE_URL": runtime.settings.database_url}
    result = CliRunner().invoke(main, ["forget", "--workspace", "acme", *selector], env=env)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"forget: {problem}; nothing was deleted"]
    assert result.stdout == ""
    assert_others_kept(runtime)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("write to ann@x.io.", True),
        ("ANN@X.IO", True),
        ("<mailto:ann@x.io|ann@x.io>", True),
        ("<p>ann@x.io</p>", True),
        ("joann@x.io", False),
        ("jo.ann@x.io", False),
        ("ann@x.io.uk", False),
        ("ann@x.ion", False),
        ("", False),
    ],
)
def test_an_address_is_named_only_as_itself(text: str, named: bool) -> None:
    assert maintenance.mentions(text, "ann@x.io") is named


def test_a_raw_body_names_an_address_in_its_json_strings_or_its_raw_text() -> None:
    escaped = json.dumps({"comment": {"body": "Hallo,\nann@x.io"}})
    assert "\\nann@x.io" in escaped and maintenance.body_mentions(escaped, "ann@x.io")
    assert maintenance.body_mentions('{"email": "Ann@X.io"', "ann@x.io")  # not JSON
    assert not maintenance.body_mentions(None, "ann@x.io")
    assert not maintenance.body_mentions('{"email": "joann@x.io"}', "ann@x.io")


@pytest.mark.parametrize(
    ("platform", "name"),
    [(p.value, name) for p in Platform for name in fixture_names(p.value)],
)
def test_conversation_of_agrees_with_the_normalizers(platform: str, name: str) -> None:
    raw = fixture_body(platform, name).decode()
    ctx = Context("acme", "d-1", Identities())
    outcome = interpret.interpret(Platform(platform), raw, ctx)
    expected = outcome.event.conversation.conversation_id if outcome.event else None
    assert maintenance.conversation_of(platform, raw) == expected


ODD = [
    None,
    "",
    "not json",
    "[1, 2]",
    '"text"',
    '{"detail": 5, "ticket": {"id": true}, "subject": 7}',
    '{"subject": "zen:ticket:"}',
    '{"data": {"item": "x"}}',
    '{"data": {"item": {"id": {"nested": 1}}}}',
    '{"event": []}',
    '{"event": {"channel": 7}}',
    '{"event": {"channel": "C1", "ts": 5, "message": "x", "channel_type": null}}',
    "[" * 5000 + "]" * 5000,
]


@pytest.mark.parametrize("platform", [p.value for p in Platform] + ["teams"])
@pytest.mark.parametrize("raw", ODD)
def test_conversation_of_never_fails_on_odd_bodies(platform: str, raw: str | None) -> None:
    assert maintenance.conversation_of(platform, raw) is None
