from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.actions import Action, ActionKind, Outcome
from connectors.errors import PlatformError, RateLimited
from connectors.model import Platform
from connectors.slack.blocks import (
    HANDBACK_ACTION_ID,
    TAKE_ACTION_ID,
    escape_mrkdwn,
    note_blocks,
    parse_button_value,
)
from connectors.slack.client import SlackClient, SlackConversation
from connectors.slack.web import DRY_RUN_TS
from tests.connectors.slack_fake import FAKE_TS, SlackFake

TOKEN = "xoxb-test-token"
THREAD = "C0CUSTOMER:1700000000.000001"
DM = "D0CUSTOMER"
TRIAGE = {"channel": "C0TRIAGE", "usergroup": "S0AGENTS"}


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake() as fake:
        yield fake


@pytest.fixture
def client(slack: SlackFake) -> SlackClient:
    return SlackClient(TOKEN, base_url=slack.base_url, timeout=0.3)


def action(kind: ActionKind, conversation_id: str = THREAD, **fields: Any) -> Action:
    return Action(
        kind=kind,
        platform=Platform.SLACK,
        conversation_id=conversation_id,
        key=f"{conversation_id}/1/{kind}",
        marker="hm-abc123",
        **fields,
    )


def note(conversation_id: str = THREAD, **fields: Any) -> Action:
    fields.setdefault("text", "Customer asked for a human.\nRefund over limit: 5 < 10 & more")
    return action(ActionKind.NOTE, conversation_id, **fields)


def only_request(slack: SlackFake, method: str) -> Any:
    assert [r.api_method for r in slack.requests] == [method]
    request = slack.requests[0]
    assert request.method == "POST"
    assert request.path == f"/api/{method}"
    assert request.header("Authorization") == f"Bearer {TOKEN}"
    return request.body


def assert_outcome_matches_wire(outcome: Outcome, slack: SlackFake) -> None:
    assert [r.url for r in outcome.requests] == [
        f"{slack.base_url}{r.api_method}" for r in slack.requests
    ]
    assert [r.body for r in outcome.requests] == [r.body for r in slack.requests]
    assert TOKEN not in repr(outcome.requests)


# --- tag -----------------------------------------------------------------------------------


def test_tag_reacts_on_the_thread_root(slack: SlackFake, client: SlackClient) -> None:
    outcome = client.perform(action(ActionKind.TAG, tags=("sys_escalation",)))

    body = only_request(slack, "reactions.add")
    assert body == {
        "channel": "C0CUSTOMER",
        "name": "rotating_light",
        "timestamp": "1700000000.000001",
    }
    assert slack.requests[0].header("Content-Type") == "application/x-www-form-urlencoded"
    assert outcome.skipped is None
    assert_outcome_matches_wire(outcome, slack)


def test_tag_uses_the_configured_reaction(slack: SlackFake) -> None:
    client = SlackClient(TOKEN, base_url=slack.base_url, reaction="sos")
    client.perform(action(ActionKind.TAG))
    assert slack.requests[0].body["name"] == "sos"


def test_tag_already_reacted_is_success(slack: SlackFake, client: SlackClient) -> None:
    slack.respond("reactions.add", {"ok": False, "error": "already_reacted"})
    outcome = client.perform(action(ActionKind.TAG))
    assert outcome.skipped is None
    assert len(outcome.requests) == 1


def test_tag_on_an_unthreaded_dm_is_skipped(slack: SlackFake, client: SlackClient) -> None:
    outcome = client.perform(action(ActionKind.TAG, DM))
    assert outcome.skipped and outcome.requests == ()
    assert slack.requests == []


# --- note ----------------------------------------------------------------------------------


def test_note_in_target_channel_links_mentions_and_offers_buttons(
    slack: SlackFake, client: SlackClient
) -> None:
    outcome = client.perform(note(target=TRIAGE, links={"State": "https://h.example/s?a=1&b=2"}))

    permalink_req, post_req = slack.requests
    assert permalink_req.path == "/api/chat.getPermalink"
    assert permalink_req.body == {"channel": "C0CUSTOMER", "message_ts": "1700000000.000001"}
    assert post_req.path == "/api/chat.postMessage"
    assert post_req.header("Authorization") == f"Bearer {TOKEN}"
    assert post_req.header("Content-Type") == "application/json;charset=utf-8"
    body = post_req.body
    assert set(body) == {"channel", "text", "blocks", "metadata"}
    assert body["channel"] == "C0TRIAGE"
    assert body["metadata"] == {
        "event_type": "handoff_note",
        "event_payload": {"marker": "hm-abc123", "key": f"{THREAD}/1/note"},
    }
    escaped = "Customer asked for a human.\nRefund over limit: 5 &lt; 10 &amp; more"
    assert body["text"] == f"<!subteam^S0AGENTS>\n{escaped}"
    section, context, actions = body["blocks"]
    assert section == {"type": "section", "text": {"type": "mrkdwn", "text": body["text"]}}
    context_text = context["elements"][0]["text"]
    assert "<https://fake.slack.com/archives/C0CUSTOMER/p1700000000000001|" in context_text
    assert "<https://h.example/s?a=1&amp;b=2|State>" in context_text
    assert [e["action_id"] for e in actions["elements"]] == [TAKE_ACTION_ID, HANDBACK_ACTION_ID]
    assert [e["text"]["text"] for e in actions["elements"]] == ["Take it", "Hand back"]
    assert {e["value"] for e in actions["elements"]} == {json.dumps({"c": THREAD}).replace(" ", "")}
    assert outcome.reference == FAKE_TS
    assert_outcome_matches_wire(outcome, slack)


def test_note_without_target_goes_in_the_thread_without_buttons(
    slack: SlackFake, client: SlackClient
) -> None:
    outcome = client.perform(note())

    body = only_request(slack, "chat.postMessage")
    assert body["channel"] == "C0CUSTOMER"
    assert body["thread_ts"] == "1700000000.000001"
    assert body["metadata"]["event_type"] == "handoff_note"
    assert [b["type"] for b in body["blocks"]] == ["section", "context"]
    assert outcome.reference == FAKE_TS


def test_note_without_target_in_a_dm_is_skipped(slack: SlackFake, client: SlackClient) -> None:
    outcome = client.perform(note(DM))
    assert outcome.skipped and slack.requests == []


def test_note_for_a_dm_in_target_channel_needs_no_permalink(
    slack: SlackFake, client: SlackClient
) -> None:
    client.perform(note(DM, target={"channel": "C0TRIAGE"}))
    body = only_request(slack, "chat.postMessage")
    assert "`D0CUSTOMER`" in body["blocks"][1]["elements"][0]["text"]
    assert not body["text"].startswith("<!subteam")


def test_note_blocks_is_pure_and_escapes() -> None:
    blocks = note_blocks("<@U1> & <!here>", conversation_id="C1:1.2", buttons=False)
    assert blocks[0]["text"]["text"] == "&lt;@U1&gt; &amp; &lt;!here&gt;"
    assert blocks == note_blocks("<@U1> & <!here>", conversation_id="C1:1.2", buttons=False)
    assert escape_mrkdwn("a&b<c>d") == "a&amp;b&lt;c&gt;d"


def test_note_text_is_clipped_to_slacks_section_limit() -> None:
    text = note_blocks("&" * 5000, conversation_id="C1:1.2")[0]["text"]["text"]
    assert len(text) <= 3000
    assert text.endswith("&amp;…")


def test_button_value_round_trips() -> None:
    value = note_blocks("x", conversation_id="C1:1.2")[2]["elements"][0]["value"]
    assert value == '{"c":"C1:1.2"}'
    assert parse_button_value(value) == "C1:1.2"
    assert parse_button_value("not json") is None
    assert parse_button_value('{"c": 3}') is None


# --- assign / reply / suspend ----------------------------------------------------------------


@pytest.mark.parametrize("kind", [ActionKind.ASSIGN, ActionKind.SUSPEND])
def test_assign_and_suspend_are_deliberate_no_ops(
    kind: ActionKind, slack: SlackFake, client: SlackClient
) -> None:
    outcome = client.perform(action(kind, target=TRIAGE))
    assert outcome.skipped
    assert outcome.requests == ()
    assert slack.requests == []


def test_reply_posts_in_the_thread_with_metadata(slack: SlackFake, client: SlackClient) -> None:
    outcome = client.perform(action(ActionKind.REPLY, text="A person will reply <soon> & here."))

    body = only_request(slack, "chat.postMessage")
    assert body == {
        "channel": "C0CUSTOMER",
        "thread_ts": "1700000000.000001",
        "text": "A person will reply &lt;soon&gt; &amp; here.",
        "metadata": {
            "event_type": "handoff_reply",
            "event_payload": {"marker": "hm-abc123", "key": f"{THREAD}/1/reply"},
        },
    }
    assert outcome.reference == FAKE_TS
    assert_outcome_matches_wire(outcome, slack)


def test_reply_in_a_dm_has_no_thread(slack: SlackFake, client: SlackClient) -> None:
    client.perform(action(ActionKind.REPLY, DM, text="hi"))
    body = only_request(slack, "chat.postMessage")
    assert body["channel"] == DM and "thread_ts" not in body


# --- errors --------------------------------------------------------------------------------


def test_429_raises_rate_limited_after_one_request(slack: SlackFake, client: SlackClient) -> None:
    slack.respond(
        "chat.postMessage",
        {"ok": False, "error": "ratelimited"},
        status=429,
        headers={"Retry-After": "7"},
    )
    with pytest.raises(RateLimited) as caught:
        client.perform(action(ActionKind.REPLY, text="hi"))
    assert caught.value.retry_after == 7.0
    assert len(slack.requests) == 1


def test_429_without_retry_after_leaves_it_unknown(slack: SlackFake, client: SlackClient) -> None:
    slack.respond("reactions.add", {"ok": False, "error": "ratelimited"}, status=429)
    with pytest.raises(RateLimited) as caught:
        client.perform(action(ActionKind.TAG))
    assert caught.value.retry_after is None


def test_ratelimited_error_with_200_is_rate_limited(slack: SlackFake, client: SlackClient) -> None:
    slack.respond("reactions.add", {"ok": False, "error": "ratelimited"})
    with pytest.raises(RateLimited):
        client.perform(action(ActionKind.TAG))


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_retryable(status: int, slack: SlackFake, client: SlackClient) -> None:
    slack.respond("chat.postMessage", "upstream unavailable", status=status)
    with pytest.raises(PlatformError) as caught:
        client.perform(action(ActionKind.REPLY, text="hi"))
    assert caught.value.retryable is True
    assert caught.value.status == status
    assert len(slack.requests) == 1


def test_timeout_is_retryable_and_not_retried(slack: SlackFake, client: SlackClient) -> None:
    slack.respond("chat.postMessage", delay=2.0)
    started = time.monotonic()
    with pytest.raises(PlatformError) as caught:
        client.perform(action(ActionKind.REPLY, text="hi"))
    assert time.monotonic() - started < 1.5
    assert caught.value.retryable is True
    assert caught.value.status is None
    assert "timeout: no answer within 0.3s" in str(caught.value)
    assert len(slack.requests) == 1


def test_connection_refused_is_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = SlackClient(TOKEN, base_url=f"http://127.0.0.1:{port}/api/", timeout=0.3)
    with pytest.raises(PlatformError) as caught:
        client.perform(action(ActionKind.TAG))
    assert caught.value.retryable is True and caught.value.status is None
    assert "network error" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "error"),
    [(200, "channel_not_found"), (200, "not_in_channel"), (200, "invalid_auth"), (404, "x")],
)
def test_other_errors_are_final_and_name_the_slack_code(
    status: int, error: str, slack: SlackFake, client: SlackClient
) -> None:
    slack.respond("chat.postMessage", {"ok": False, "error": error}, status=status)
    with pytest.raises(PlatformError) as caught:
        client.perform(action(ActionKind.REPLY, text="hi"))
    assert caught.value.retryable is False
    assert caught.value.status == status
    assert error in str(caught.value)
    assert "chat.postMessage" in str(caught.value)


def test_slack_internal_error_is_retryable(slack: SlackFake, client: SlackClient) -> None:
    slack.respond("reactions.add", {"ok": False, "error": "internal_error"})
    with pytest.raises(PlatformError) as caught:
        client.perform(action(ActionKind.TAG))
    assert caught.value.retryable is True


def test_malformed_conversation_id_is_a_final_error(client: SlackClient) -> None:
    with pytest.raises(PlatformError) as caught:
        client.perform(action(ActionKind.REPLY, ":123", text="hi"))
    assert caught.value.retryable is False


def test_conversation_id_parsing() -> None:
    assert SlackConversation.parse(THREAD) == SlackConversation("C0CUSTOMER", "1700000000.000001")
    assert SlackConversation.parse(DM) == SlackConversation(DM, None)


# --- dry run -------------------------------------------------------------------------------


def test_dry_run_records_the_same_requests_and_sends_none(slack: SlackFake) -> None:
    live = SlackClient(TOKEN, base_url=slack.base_url)
    dry = SlackClient(TOKEN, base_url=slack.base_url, dry_run=True)

    outcome = dry.perform(note(target=TRIAGE))
    assert slack.requests == []
    assert [r.url for r in outcome.requests] == [
        f"{slack.base_url}chat.getPermalink",
        f"{slack.base_url}chat.postMessage",
    ]
    assert outcome.reference == DRY_RUN_TS
    context = outcome.requests[1].body["blocks"][1]["elements"][0]["text"]
    assert "https://example.slack.com/archives/C0CUSTOMER/p1700000000000001" in context

    live_outcome = live.perform(note(target=TRIAGE))
    assert outcome.requests[0] == live_outcome.requests[0]
    assert outcome.requests[1].body["metadata"] == live_outcome.requests[1].body["metadata"]


def test_dry_run_needs_no_server() -> None:
    client = SlackClient(TOKEN, base_url="http://127.0.0.1:9/api/", dry_run=True)
    outcome = client.perform(action(ActionKind.TAG))
    assert outcome.requests[0].body == {
        "channel": "C0CUSTOMER",
        "name": "rotating_light",
        "timestamp": "1700000000.000001",
    }
    assert client.find_marker(note()) is False


# --- find_marker ---------------------------------------------------------------------------


def message_with(marker: str) -> dict[str, Any]:
    return {
        "type": "message",
        "ts": "1700000001.000200",
        "metadata": {"event_type": "handoff_note", "event_payload": {"marker": marker, "key": "k"}},
    }


def test_find_marker_reads_target_channel_history(slack: SlackFake, client: SlackClient) -> None:
    slack.respond(
        "conversations.history", {"ok": True, "messages": [{"ts": "1"}, message_with("hm-abc123")]}
    )
    assert client.find_marker(note(target=TRIAGE)) is True
    body = only_request(slack, "conversations.history")
    assert body == {"channel": "C0TRIAGE", "include_all_metadata": "1", "limit": "50"}


def test_find_marker_false_when_only_other_markers(slack: SlackFake, client: SlackClient) -> None:
    slack.respond("conversations.history", {"ok": True, "messages": [message_with("hm-other")]})
    assert client.find_marker(note(target=TRIAGE)) is False


def test_find_marker_reads_the_thread_for_replies(slack: SlackFake, client: SlackClient) -> None:
    slack.respond("conversations.replies", {"ok": True, "messages": [message_with("hm-abc123")]})
    assert client.find_marker(action(ActionKind.REPLY, text="hi")) is True
    body = only_request(slack, "conversations.replies")
    assert body == {
        "channel": "C0CUSTOMER",
        "ts": "1700000000.000001",
        "include_all_metadata": "1",
        "limit": "100",
    }


def test_find_marker_is_false_for_idempotent_kinds(slack: SlackFake, client: SlackClient) -> None:
    assert client.find_marker(action(ActionKind.TAG)) is False
    assert slack.requests == []


def test_find_marker_errors_are_translated(slack: SlackFake, client: SlackClient) -> None:
    slack.respond(
        "conversations.replies",
        {"ok": False, "error": "ratelimited"},
        status=429,
        headers={"Retry-After": "30"},
    )
    with pytest.raises(RateLimited) as caught:
        client.find_marker(action(ActionKind.REPLY, text="hi"))
    assert caught.value.retry_after == 30.0


PLANNED_AT = 1_700_000_100.0
OLDEST = "1699999980.000000"  # PLANNED_AT less the 120 s clock skew margin


def message_at(ts: str, marker: str = "hm-abc123") -> dict[str, Any]:
    return {**message_with(marker), "ts": ts}


def test_find_marker_sends_oldest_when_planned_at_is_set(
    slack: SlackFake, client: SlackClient
) -> None:
    slack.respond("conversations.replies", {"ok": True, "messages": [message_at("1700000050.1")]})
    assert client.find_marker(action(ActionKind.REPLY, text="hi", planned_at=PLANNED_AT)) is True
    assert only_request(slack, "conversations.replies")["oldest"] == OLDEST

    slack.respond("conversations.history", {"ok": True, "messages": [message_at("1700000050.1")]})
    assert client.find_marker(note(target=TRIAGE, planned_at=PLANNED_AT)) is True
    assert slack.calls("conversations.history")[0].body["oldest"] == OLDEST


def test_find_marker_ignores_messages_older_than_planned_at(
    slack: SlackFake, client: SlackClient
) -> None:
    old = message_at("1699999900.000100")  # 200 s before planning: an earlier episode
    slack.respond("conversations.replies", {"ok": True, "messages": [old]})
    assert client.find_marker(action(ActionKind.REPLY, text="hi", planned_at=PLANNED_AT)) is False
    assert client.find_marker(action(ActionKind.REPLY, text="hi")) is True  # planned_at unset


def test_find_marker_follows_the_cursor_to_the_next_page(
    slack: SlackFake, client: SlackClient
) -> None:
    filler = [{"type": "message", "ts": f"1700000001.{n:06d}"} for n in range(3)]
    slack.paginate("conversations.replies", [filler, [*filler, message_with("hm-abc123")]])
    assert client.find_marker(action(ActionKind.REPLY, text="hi")) is True
    first, second = slack.calls("conversations.replies")
    assert "cursor" not in first.body
    assert second.body["cursor"] == "page-1"
    assert second.body["ts"] == "1700000000.000001" and second.body["limit"] == "100"


def test_find_marker_pages_through_the_triage_channel_with_oldest(
    slack: SlackFake, client: SlackClient
) -> None:
    slack.paginate(
        "conversations.history",
        [[message_at("1700000300.1", "hm-other")], [message_at("1700000200.1")]],
    )
    assert client.find_marker(note(target=TRIAGE, planned_at=PLANNED_AT)) is True
    calls = slack.calls("conversations.history")
    assert [c.body.get("cursor") for c in calls] == [None, "page-1"]
    assert all(c.body["oldest"] == OLDEST and c.body["channel"] == "C0TRIAGE" for c in calls)


def test_find_marker_stops_at_the_page_that_has_the_marker(
    slack: SlackFake, client: SlackClient
) -> None:
    slack.paginate("conversations.replies", [[message_with("hm-abc123")], [], []])
    assert client.find_marker(action(ActionKind.REPLY, text="hi")) is True
    assert len(slack.calls("conversations.replies")) == 1


def test_find_marker_reads_at_most_five_pages(slack: SlackFake, client: SlackClient) -> None:
    slack.paginate(
        "conversations.history", [[message_with("hm-other")]] * 6 + [[message_with("hm-abc123")]]
    )
    assert client.find_marker(note(target=TRIAGE)) is False
    assert len(slack.calls("conversations.history")) == 5


def test_action_for_another_platform_is_a_final_error(
    slack: SlackFake, client: SlackClient
) -> None:
    other = Action(ActionKind.REPLY, Platform.ZENDESK, THREAD, "k", text="hi", marker="m")
    for call in (client.perform, client.find_marker):
        with pytest.raises(PlatformError, match="not a Slack action") as caught:
            call(other)
        assert caught.value.retryable is False
    assert slack.requests == []
