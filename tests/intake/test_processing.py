"""The worker's `process_event` on every recorded fixture, with the real normalizers."""

from __future__ import annotations

import pytest

from escalation.case import Case, Message, Role
from handover import jobs
from handover.models import EventStatus
from handover.runtime import Runtime
from tests.intake import helpers
from tests.intake.backends import fixture_body, fixture_names
from tests.intake.flow import body, ingest, process, replay

DROPPED = {
    ("zendesk", "ticket.comment_added--handoff_note"),
    ("intercom", "conversation.admin.assigned"),
    ("intercom", "conversation.admin.noted"),
    ("slack", "message.channels--handoff_note"),
}
IGNORED = {
    ("intercom", "ping"),
    ("slack", "url_verification"),
    ("slack", "message.channels--channel_join"),
    ("slack", "message.channels--message_changed"),
    ("slack", "message.channels--message_deleted"),
}
MESSAGES = {
    "conversation.user.replied--two_parts": 2,
    "conversation.admin.closed": 0,
    "ticket.status_changed": 0,
}
ALL_FIXTURES = [(p, n) for p in ("zendesk", "intercom", "slack") for n in fixture_names(p)]


def expected_status(platform: str, name: str) -> EventStatus:
    if (platform, name) in DROPPED:
        return EventStatus.DROPPED
    if (platform, name) in IGNORED:
        return EventStatus.IGNORED
    return EventStatus.PROCESSED


@pytest.mark.parametrize(
    ("platform", "name"), ALL_FIXTURES, ids=[f"{p}/{n}" for p, n in ALL_FIXTURES]
)
def test_each_fixture_gets_its_status_messages_and_decision(
    runtime: Runtime, platform: str, name: str
) -> None:
    # Handshakes have no delivery id: the web layer answers them, but stored they are ignored.
    handshake = {"delivery_id": "handshake"} if name == "url_verification" else {}
    event_id = ingest(runtime, platform, fixture_body(platform, name), **handshake)
    status = jobs.process_event(runtime, event_id)
    assert status is expected_status(platform, name)
    stored = helpers.event(runtime, event_id)
    assert (stored.status, stored.attempts) == (status, 1)
    assert stored.processed_at is not None
    if status is not EventStatus.PROCESSED:
        assert helpers.conversations(runtime) == []
        assert stored.error_reason
        return
    messages = helpers.messages(runtime)
    assert len(messages) == MESSAGES.get(name, 1)
    assert {m.event_id for m in messages} <= {event_id}
    (conversation,) = helpers.conversations(runtime)
    assert stored.conversation_id == conversation.id and conversation.revision == 1
    detections = [d for d in helpers.decisions(runtime) if d.cause == "detection"]
    decided_roles = {"user", "bot"}
    assert len(detections) == (1 if {m.role for m in messages} & decided_roles else 0)


def test_a_decision_is_the_detectors_on_the_episode_transcript(runtime: Runtime) -> None:
    replay(runtime, "intercom", "conversation.user.created", "conversation.operator.replied")
    assert replay(runtime, "intercom", "conversation.user.replied") == [EventStatus.PROCESSED]
    transcript = tuple(
        Message(Role(m.role), m.text, at=m.sent_at.isoformat()) for m in helpers.messages(runtime)
    )
    expected = runtime.detector("acme").decide(Case("x", transcript))
    last = helpers.decisions(runtime)[-1]
    assert (last.status, last.signal, last.sub_agent, last.target) == (
        expected.status.value,
        expected.signal.value if expected.signal else None,
        expected.sub_agent,
        expected.target,
    )
    assert (last.reason, last.evidence, last.missing) == (
        expected.reason,
        expected.evidence,
        list(expected.missing),
    )
    assert (last.status, last.signal, last.state_before, last.state_after) == (
        "escalate",
        "user_request",
        "bot",
        "escalated",
    )


def test_processing_the_same_event_twice_changes_nothing(runtime: Runtime) -> None:
    event_id = ingest(runtime, "intercom", fixture_body("intercom", "conversation.user.replied"))
    assert jobs.process_event(runtime, event_id) is EventStatus.PROCESSED
    before = (helpers.messages(runtime), helpers.decisions(runtime), helpers.conversations(runtime))
    assert jobs.process_event(runtime, event_id) is None
    after = (helpers.messages(runtime), helpers.decisions(runtime), helpers.conversations(runtime))
    assert [len(rows) for rows in after] == [len(rows) for rows in before] == [1, 1, 1]
    assert after[2][0].revision == before[2][0].revision == 1


def test_a_message_delivered_again_under_another_id_is_stored_once(runtime: Runtime) -> None:
    first = body("zendesk", "trigger.ticket_updated")
    assert process(runtime, "zendesk", first) is EventStatus.PROCESSED
    first["ticket"]["updated_at"] = "2025-04-02T03:20:00Z"  # a later update, same comment
    assert process(runtime, "zendesk", first) is EventStatus.PROCESSED
    assert helpers.count(runtime, helpers.StoredEvent) == 2
    assert len(helpers.messages(runtime)) == 1
    assert len(helpers.decisions(runtime)) == 1
    assert helpers.conversations(runtime)[0].revision == 2


def test_an_unknown_event_id_or_finished_event_is_skipped(runtime: Runtime) -> None:
    assert jobs.process_event(runtime, 424242) is None


def test_an_event_for_a_workspace_not_served_fails_visibly(runtime: Runtime) -> None:
    event_id = ingest(runtime, "slack", fixture_body("slack", "message.im"), workspace="ghost")
    assert jobs.process_event(runtime, event_id) is EventStatus.FAILED
    stored = helpers.event(runtime, event_id)
    assert stored.error_path == "$"
    assert stored.error_reason == "workspace platform ghost/slack is not configured"
