"""Conversations over several deliveries: states, episodes, order, echoes and bad payloads."""

from __future__ import annotations

from click.testing import CliRunner

from cli import main
from escalation.case import Case, Message, Role
from handover.models import EventStatus
from handover.runtime import Runtime
from tests.intake import helpers
from tests.intake.backends import environment, fixture_body
from tests.intake.flow import (
    body,
    intercom_reply,
    process,
    replay,
    slack_message,
    zendesk_comment,
)

PROCESSED, DROPPED, IGNORED = EventStatus.PROCESSED, EventStatus.DROPPED, EventStatus.IGNORED


def transitions(runtime: Runtime) -> list[tuple[str, str | None, str, str]]:
    return [(d.cause, d.status, d.state_before, d.state_after) for d in helpers.decisions(runtime)]


def test_intercom_story_escalates_once_goes_to_the_team_and_is_handed_back(
    runtime: Runtime,
) -> None:
    statuses = replay(
        runtime,
        "intercom",
        "conversation.user.created",
        "conversation.operator.replied",
        "conversation.user.replied",
        "conversation.admin.noted",
        "conversation.admin.assigned",
        "conversation.user.replied--two_parts",
        "conversation.admin.replied",
        "conversation.admin.closed",
    )
    assert statuses == [PROCESSED] * 3 + [DROPPED] * 2 + [PROCESSED] * 3
    assert transitions(runtime)[2:] == [
        ("detection", "escalate", "bot", "escalated"),
        ("detection", "escalate", "escalated", "escalated"),  # once per episode
        ("agent_reply", None, "escalated", "with_team"),
        ("hand_back", None, "with_team", "bot"),
    ]
    (conversation,) = helpers.conversations(runtime)
    assert (conversation.state, conversation.episode) == ("bot", 2)
    assert conversation.customer_email == "elodie.martin@example.fr"
    assert conversation.revision == 6  # dropped echoes never touch the conversation

    later = intercom_reply("23657899999", "Where is my parcel now?", 1717090000, "notif_new")
    assert process(runtime, "intercom", later) is PROCESSED
    last = helpers.decisions(runtime)[-1]
    assert (last.episode, last.cause, last.state_before) == (2, "detection", "bot")
    assert [m.episode for m in helpers.messages(runtime)] == [1] * 6 + [2]


def test_zendesk_story_ends_with_a_solved_ticket(runtime: Runtime) -> None:
    statuses = replay(
        runtime,
        "zendesk",
        "ticket.comment_added",
        "ticket.comment_added--ai_agent",
        "ticket.comment_added--handoff_note",
        "ticket.comment_added--agent_html",
        "ticket.status_changed",
    )
    assert statuses == [PROCESSED, PROCESSED, DROPPED, PROCESSED, PROCESSED]
    causes = [(cause, after) for cause, _, _, after in transitions(runtime)]
    assert causes[-2:] == [("agent_reply", "with_team"), ("hand_back", "bot")]
    assert [m.role for m in helpers.messages(runtime)] == ["user", "bot", "agent"]
    assert helpers.conversations(runtime)[0].episode == 2


def test_slack_thread_with_echo_edit_and_teammate(runtime: Runtime) -> None:
    statuses = replay(
        runtime,
        "slack",
        "message.channels",
        "message.channels--bot_thread_reply",
        "message.channels--handoff_note",
        "message.channels--message_changed",
        "message.channels--teammate_reply",
    )
    assert statuses == [PROCESSED, PROCESSED, DROPPED, IGNORED, PROCESSED]
    assert [m.role for m in helpers.messages(runtime)] == ["user", "bot", "agent"]
    assert helpers.conversations(runtime)[0].state == "with_team"


def test_pending_collects_details_then_escalates(runtime: Runtime) -> None:
    first = slack_message("1717000001.000001", "I want to return these boots", "EvR1")
    assert process(runtime, "slack", first) is PROCESSED
    ask = slack_message(
        "1717000002.000001", "What is your order number?", "EvR2", user="U06R2HQ9XYZ"
    )
    ask["event"]["bot_id"] = "B06R2HQ8LKP"
    assert process(runtime, "slack", ask) is PROCESSED
    details = "Order AC-123456, email jane@example.com. Reason: they are too small for me."
    assert (
        process(runtime, "slack", slack_message("1717000003.000001", details, "EvR3")) is PROCESSED
    )
    rows = helpers.decisions(runtime)
    assert [(r.status, r.state_after) for r in rows][:2] == [
        ("pending", "collecting"),
        ("pending", "collecting"),
    ]
    assert rows[0].missing == ["order_number", "email", "return_reason"]
    assert (rows[-1].status, rows[-1].state_after, rows[-1].sub_agent) == (
        "escalate",
        "escalated",
        "returns",
    )
    assert rows[-1].collected["order_number"] == "AC-123456"


def test_out_of_order_deliveries_are_decided_in_platform_time_order(runtime: Runtime) -> None:
    root = slack_message("1717000000.123400", "Please let me talk to a human", "EvO1")
    del root["event"]["thread_ts"]
    bot = slack_message("1717000002.000001", "Sure, a colleague will join", "EvO2")
    bot["event"]["bot_id"] = "B06R2HQ8LKP"
    never_mind = slack_message("1717000003.000001", "never mind, it works now", "EvO3")
    for payload in (never_mind, root, bot):  # arrival order is not the order they were written
        assert process(runtime, "slack", payload) is PROCESSED
    rows = helpers.messages(runtime)
    assert [m.text for m in rows] == [
        "Please let me talk to a human",
        "Sure, a colleague will join",
        "never mind, it works now",
    ]
    assert [m.role for m in rows] == ["user", "bot", "user"]
    ordered = Case("c", tuple(Message(Role(m.role), m.text) for m in rows))
    arrived = Case("c", tuple(Message(Role(m.role), m.text) for m in (rows[2], rows[0], rows[1])))
    expected = runtime.detector("acme").decide(ordered)
    assert expected != runtime.detector("acme").decide(arrived)  # the order matters here
    last = helpers.decisions(runtime)[-1]
    assert (last.status, last.signal, last.evidence) == (
        expected.status.value,
        expected.signal.value if expected.signal else None,
        expected.evidence,
    )
    assert last.signal == "bot_handoff"


def test_a_late_message_from_before_the_hand_back_stays_in_its_episode(runtime: Runtime) -> None:
    replay(runtime, "intercom", "conversation.user.replied", "conversation.admin.closed")
    late = intercom_reply("23657891299", "One more thing, a human please", 1717000070, "notif_l")
    assert process(runtime, "intercom", late) is PROCESSED
    assert [m.episode for m in helpers.messages(runtime)] == [1, 1]
    (conversation,) = helpers.conversations(runtime)
    assert (conversation.state, conversation.episode) == ("bot", 2)
    assert [d.cause for d in helpers.decisions(runtime)] == ["detection", "hand_back"]


def test_a_message_written_after_a_late_close_moves_to_the_new_episode(runtime: Runtime) -> None:
    assert replay(runtime, "zendesk", "ticket.comment_added") == [PROCESSED]
    after_close = zendesk_comment(
        30064199999999, "Hello again, I want to talk to a human", "2025-03-13T08:00:00Z", "z-new"
    )
    assert process(runtime, "zendesk", after_close) is PROCESSED
    assert replay(runtime, "zendesk", "ticket.status_changed") == [PROCESSED]  # solved on the 12th
    assert [m.episode for m in helpers.messages(runtime)] == [1, 2]
    last = helpers.decisions(runtime)[-1]
    assert (last.episode, last.cause, last.status, last.state_after) == (
        2,
        "detection",
        "escalate",
        "escalated",
    )


def test_self_events_are_dropped_without_touching_anything(runtime: Runtime) -> None:
    assert replay(runtime, "slack", "message.channels--handoff_note") == [DROPPED]
    assert replay(runtime, "zendesk", "ticket.comment_added--handoff_note") == [DROPPED]
    assert helpers.conversations(runtime) == []
    assert helpers.messages(runtime) == []


def test_an_invalid_payload_is_kept_as_failed_with_path_and_reason(runtime: Runtime) -> None:
    broken = body("zendesk", "ticket.comment_added")
    del broken["event"]["comment"]["author"]["id"]
    assert process(runtime, "zendesk", broken) is EventStatus.FAILED
    assert (
        process(runtime, "slack", b"{not json", delivery_id="EvBad", event_type="?")
        is EventStatus.FAILED
    )
    events = {e.delivery_id: e for e in _all_events(runtime)}
    zendesk_event = events["d4f5c389-8f4a-4c2e-a1b9-8e4f39c71d52"]
    assert (zendesk_event.error_path, zendesk_event.error_reason) == (
        "event.comment.author.id",
        "missing (expected id)",
    )
    assert zendesk_event.body is not None  # kept for replay once the cause is fixed
    assert events["EvBad"].error_path == "$"
    assert (events["EvBad"].error_reason or "").startswith("not JSON")
    assert helpers.conversations(runtime) == []

    env = environment(runtime.settings)
    listed = CliRunner().invoke(main, ["events", "--failed"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "at event.comment.author.id: missing (expected id)" in listed.output
    assert "EvBad" in listed.output and "at $: not JSON" in listed.output
    everything = CliRunner().invoke(
        main, ["events", "--workspace", "acme", "--limit", "1"], env=env
    )
    assert everything.output.count("failed") == 1 and "EvBad" in everything.output


def _all_events(runtime: Runtime) -> list[helpers.StoredEvent]:
    from sqlalchemy import select

    with runtime.db.read() as session:
        return list(session.scalars(select(helpers.StoredEvent)))


def test_a_closed_conversation_without_messages_stays_in_its_first_episode(
    runtime: Runtime,
) -> None:
    assert replay(runtime, "intercom", "conversation.admin.closed") == [PROCESSED]
    (conversation,) = helpers.conversations(runtime)
    assert (conversation.state, conversation.episode) == ("bot", 1)
    assert helpers.decisions(runtime) == []


def test_fixtures_replay_in_any_order_to_the_same_transcript(runtime: Runtime) -> None:
    names = ["message.channels--teammate_reply", "message.channels--bot_thread_reply"]
    replay(runtime, "slack", *names, "message.channels")
    assert [m.role for m in helpers.messages(runtime)] == ["user", "bot", "agent"]
    assert fixture_body("slack", "message.channels")  # the recorded root message is the user's


def test_messages_with_the_same_platform_time_keep_the_platforms_order(runtime: Runtime) -> None:
    at = "2026-05-02T10:31:00Z"  # trigger times have minute precision
    ask = zendesk_comment(40001, "Can I talk to a person please?", at, "zen-tie-1")
    withdraw = zendesk_comment(
        40002, "Actually no need for a person, it works now.", at, "zen-tie-2"
    )
    for payload in (withdraw, ask):  # delivered newest first
        assert process(runtime, "zendesk", payload) is PROCESSED
    last = helpers.decisions(runtime)[-1]
    assert (last.status, last.signal) == ("none", None)


def test_conversations_lists_state_and_latest_decision(runtime: Runtime) -> None:
    ask = zendesk_comment(40101, "Can I talk to a person please?", "2026-05-02T10:31:00Z", "z-l1")
    assert process(runtime, "zendesk", ask) is PROCESSED
    result = CliRunner().invoke(main, ["conversations"], env=environment(runtime.settings))
    assert result.exit_code == 0
    head, verdict = result.stdout.splitlines()[:2]
    assert head.startswith("acme/zendesk/") and "escalated  episode 1" in head
    assert verdict.strip() == "escalate user_request support: The user asked for a human."


def test_commands_say_when_the_database_is_not_migrated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"HANDOFF_DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"}
    for command in ("events", "conversations"):
        result = CliRunner().invoke(main, [command], env=env)
        assert result.exit_code == 2
        assert "run `handoff db upgrade` first" in result.stderr
