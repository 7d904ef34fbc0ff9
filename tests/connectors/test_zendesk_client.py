from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from zenpy.lib import api as zenpy_api  # type: ignore[import-untyped]
from zenpy.lib.exception import ZenpyException  # type: ignore[import-untyped]

from connectors.actions import Action, ActionKind, Outcome, SentRequest
from connectors.errors import PlatformError, RateLimited
from connectors.model import Platform
from connectors.zendesk.client import (
    SunshineCredentials,
    ZendeskClient,
    ZendeskCredentials,
    assignment_fields,
    note_html,
)
from connectors.zendesk.client_transport import translated_errors

API = "https://acme.zendesk.com/api/v2"
TAGS_URL = f"{API}/tickets/42/tags.json"
TICKET_URL = f"{API}/tickets/42.json"
COMMENTS_URL = f"{API}/tickets/42/comments.json"
SUNCO = "https://sunco.test"
PASS_CONTROL_URL = f"{SUNCO}/v2/apps/app-1/conversations/conv-9/passControl"
TOKEN = "s3cret-token"
SUNSHINE = SunshineCredentials(
    app_id="app-1", key_id="app_key", key_secret="key-s3cret", base_url=f"{SUNCO}/"
)
CREDENTIALS = ZendeskCredentials(
    subdomain="acme", email="bot@acme.test", token=TOKEN, sunshine=SUNSHINE
)
ZENDESK_AUTH = "Basic " + base64.b64encode(f"bot@acme.test/token:{TOKEN}".encode()).decode()
SUNCO_AUTH = "Basic " + base64.b64encode(b"app_key:key-s3cret").decode()
AUDIT = {"ticket": {"id": 42}, "audit": {"id": 7, "events": [{"id": 9001, "type": "Comment"}]}}
FULL_TARGET = {
    "group_id": 360001,
    "assignee_id": 77,
    "priority": "high",
    "custom_fields": {"123": "x", "456": True},
}


def action(kind: ActionKind, **fields: Any) -> Action:
    return Action(kind=kind, platform=Platform.ZENDESK, conversation_id="42", key="k-1", **fields)


NOTE = action(
    ActionKind.NOTE,
    text="Customer asked for a human.\nSignal: <explicit> & urgent",
    marker="hx-1",
)
REPLY = action(ActionKind.REPLY, text="A person will reply here.")
NOTE_HTML = (
    "<p>Customer asked for a human.</p>"
    "<p>Signal: &lt;explicit&gt; &amp; urgent</p>"
    "<p><small>handoff-ref: hx-1</small></p>"
)


@pytest.fixture
def client() -> ZendeskClient:
    return ZendeskClient(CREDENTIALS)


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as rsps:
        yield rsps


def sent_json(call: Any) -> Any:
    return json.loads(call.request.body)


def assert_json_request(call: Any, method: str, url: str, auth: str = ZENDESK_AUTH) -> None:
    assert call.request.method == method
    assert call.request.url == url
    assert call.request.headers["Authorization"] == auth
    assert call.request.headers["Content-Type"] == "application/json"


# --- each action kind -------------------------------------------------------------------


def test_tag_puts_tags_to_merge(client: ZendeskClient, mock: responses.RequestsMock) -> None:
    mock.add(responses.PUT, TAGS_URL, json={"tags": ["old", "sys_escalation", "vip"]})
    outcome = client.perform(action(ActionKind.TAG, tags=("sys_escalation", "vip")))
    (call,) = mock.calls
    assert_json_request(call, "PUT", TAGS_URL)
    body = {"tags": ["sys_escalation", "vip"]}
    assert sent_json(call) == body
    assert outcome == Outcome(requests=(SentRequest("PUT", TAGS_URL, body),))


def test_release_deletes_only_the_listed_tags(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    mock.add(responses.DELETE, TAGS_URL, json={"tags": ["old"]})
    outcome = client.perform(action(ActionKind.RELEASE, tags=("sys_escalation", "handoff_x")))
    (call,) = mock.calls
    assert_json_request(call, "DELETE", TAGS_URL)
    body = {"tags": ["sys_escalation", "handoff_x"]}
    assert sent_json(call) == body
    assert outcome == Outcome(requests=(SentRequest("DELETE", TAGS_URL, body),))


def test_tag_without_tags_is_skipped(client: ZendeskClient, mock: responses.RequestsMock) -> None:
    outcome = client.perform(action(ActionKind.TAG))
    assert outcome.skipped and not outcome.requests and not mock.calls


def test_note_is_a_private_html_comment_with_marker(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    mock.add(responses.PUT, TICKET_URL, json=AUDIT)
    outcome = client.perform(NOTE)
    (call,) = mock.calls
    assert_json_request(call, "PUT", TICKET_URL)
    body = {"ticket": {"id": 42, "comment": {"html_body": NOTE_HTML, "public": False}}}
    assert sent_json(call) == body
    assert outcome.requests == (SentRequest("PUT", TICKET_URL, body),)
    assert outcome.reference == "9001"


def test_note_html_lists_links_before_the_marker() -> None:
    note = action(ActionKind.NOTE, text="a\n\n b ", marker="m", links={"state": "https://x/?a=1&b"})
    assert note_html(note) == (
        "<p>a</p><p>b</p>"
        '<p><small>state: <a href="https://x/?a=1&amp;b">https://x/?a=1&amp;b</a></small></p>'
        "<p><small>handoff-ref: m</small></p>"
    )


def test_assign_sets_group_assignee_priority_and_fields_in_one_put(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    mock.add(responses.PUT, TICKET_URL, json=AUDIT)
    outcome = client.perform(action(ActionKind.ASSIGN, target=FULL_TARGET))
    (call,) = mock.calls
    assert_json_request(call, "PUT", TICKET_URL)
    ticket = {
        "id": 42,
        "group_id": 360001,
        "assignee_id": 77,
        "priority": "high",
        "custom_fields": [{"id": 123, "value": "x"}, {"id": 456, "value": True}],
    }
    assert sent_json(call) == {"ticket": ticket}
    assert outcome.requests == (SentRequest("PUT", TICKET_URL, {"ticket": ticket}),)


def test_assign_sends_only_what_the_target_gives(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    mock.add(responses.PUT, TICKET_URL, json=AUDIT)
    target: dict[str, Any] = {
        "group_id": 360001,
        "assignee_id": None,
        "priority": None,
        "custom_fields": {},
    }
    client.perform(action(ActionKind.ASSIGN, target=target))
    assert sent_json(mock.calls[0]) == {"ticket": {"id": 42, "group_id": 360001}}


def test_assign_without_group_is_skipped(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    outcome = client.perform(action(ActionKind.ASSIGN, target={"priority": "high"}))
    assert outcome == Outcome(skipped="no Zendesk group configured")
    assert assignment_fields({}) is None
    assert not mock.calls


def test_reply_is_a_public_plain_comment(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    mock.add(responses.PUT, TICKET_URL, json=AUDIT)
    outcome = client.perform(REPLY)
    (call,) = mock.calls
    assert_json_request(call, "PUT", TICKET_URL)
    body = {"ticket": {"id": 42, "comment": {"body": "A person will reply here.", "public": True}}}
    assert sent_json(call) == body
    assert outcome.requests == (SentRequest("PUT", TICKET_URL, body),)
    assert outcome.reference == "9001"


def test_suspend_passes_control_with_sunshine_basic_auth(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    mock.add(responses.POST, PASS_CONTROL_URL, json={})
    outcome = client.perform(
        action(ActionKind.SUSPEND, target={"sunshine_conversation_id": "conv-9"})
    )
    (call,) = mock.calls
    assert_json_request(call, "POST", PASS_CONTROL_URL, auth=SUNCO_AUTH)
    body = {"switchboardIntegration": "zd-agentWorkspace", "metadata": {"handoff_key": "k-1"}}
    assert sent_json(call) == body
    assert outcome.requests == (SentRequest("POST", PASS_CONTROL_URL, body),)


def test_suspend_is_skipped_without_credentials_or_conversation(
    mock: responses.RequestsMock,
) -> None:
    plain = ZendeskClient(ZendeskCredentials("acme", "bot@acme.test", TOKEN))
    suspend = action(ActionKind.SUSPEND, target={"sunshine_conversation_id": "conv-9"})
    assert "credentials" in (plain.perform(suspend).skipped or "")
    with_sunco = ZendeskClient(CREDENTIALS)
    assert "sunshine_conversation_id" in (
        with_sunco.perform(action(ActionKind.SUSPEND)).skipped or ""
    )
    assert not mock.calls


# --- errors -------------------------------------------------------------------------------


def refuse_to_sleep(seconds: float) -> None:
    raise AssertionError(f"zenpy tried to sleep {seconds}s")


def test_429_raises_at_once_with_retry_after(
    client: ZendeskClient, mock: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zenpy_api, "sleep", refuse_to_sleep)
    mock.add(responses.PUT, TICKET_URL, status=429, headers={"Retry-After": "30"})
    started = time.monotonic()
    with pytest.raises(RateLimited) as raised:
        client.perform(NOTE)
    assert time.monotonic() - started < 0.5
    assert raised.value.retry_after == 30.0 and raised.value.platform == "zendesk"
    assert len(mock.calls) == 1


def test_429_without_retry_after_has_unknown_wait(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    mock.add(responses.PUT, TAGS_URL, status=429)
    with pytest.raises(RateLimited) as raised:
        client.perform(action(ActionKind.TAG, tags=("a",)))
    assert raised.value.retry_after is None


def test_5xx_is_retryable_and_not_retried(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    mock.add(responses.PUT, TICKET_URL, status=503, body="Service Unavailable")
    with pytest.raises(PlatformError) as raised:
        client.perform(REPLY)
    assert raised.value.retryable and raised.value.status == 503
    assert len(mock.calls) == 1


@pytest.mark.parametrize(
    "error", [requests.exceptions.ReadTimeout(), requests.exceptions.ConnectTimeout()]
)
def test_timeout_is_retryable_without_status(
    client: ZendeskClient, mock: responses.RequestsMock, error: Exception
) -> None:
    mock.add(responses.PUT, TICKET_URL, body=error)
    with pytest.raises(PlatformError) as raised:
        client.perform(NOTE)
    assert raised.value.retryable and raised.value.status is None
    assert "timeout" in str(raised.value)


def test_connection_error_is_retryable(client: ZendeskClient, mock: responses.RequestsMock) -> None:
    mock.add(responses.PUT, TAGS_URL, body=requests.exceptions.ConnectionError("reset"))
    with pytest.raises(PlatformError) as raised:
        client.perform(action(ActionKind.TAG, tags=("a",)))
    assert raised.value.retryable and raised.value.status is None


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, {"error": "RecordNotFound", "description": "Not found"}, "RecordNotFound: Not found"),
        (
            422,
            {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"base": [{"description": "Comment limit reached"}]},
            },
            "RecordInvalid: Record validation errors: Comment limit reached",
        ),
        (403, {"error": {"title": "Forbidden", "message": "No access"}}, "Forbidden: No access"),
    ],
)
def test_4xx_is_final_and_keeps_zendesk_message(
    client: ZendeskClient,
    mock: responses.RequestsMock,
    status: int,
    body: dict[str, Any],
    expected: str,
) -> None:
    mock.add(responses.PUT, TICKET_URL, status=status, json=body)
    with pytest.raises(PlatformError) as raised:
        client.perform(NOTE)
    assert not raised.value.retryable and raised.value.status == status
    assert expected in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_sunshine_4xx_keeps_its_message(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    errors = {"errors": [{"code": "not_found", "title": "Conversation not found"}]}
    mock.add(responses.POST, PASS_CONTROL_URL, status=404, json=errors)
    with pytest.raises(PlatformError) as raised:
        client.perform(action(ActionKind.SUSPEND, target={"sunshine_conversation_id": "conv-9"}))
    assert "Conversation not found" in str(raised.value) and raised.value.status == 404


def test_bad_ticket_id_and_platform_are_refused(client: ZendeskClient) -> None:
    bad_id = Action(ActionKind.TAG, Platform.ZENDESK, "C01:1.2", "k", tags=("a",))
    with pytest.raises(PlatformError, match="ticket id"):
        client.perform(bad_id)
    with pytest.raises(PlatformError, match="not a Zendesk action"):
        client.perform(Action(ActionKind.TAG, Platform.SLACK, "42", "k", tags=("a",)))


# --- dry run ------------------------------------------------------------------------------


def test_dry_run_records_the_same_requests_without_network() -> None:
    dry = ZendeskClient(CREDENTIALS, dry_run=True)
    suspend = action(ActionKind.SUSPEND, target={"sunshine_conversation_id": "conv-9"})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        outcomes = [
            dry.perform(action(ActionKind.TAG, tags=("sys_escalation",))),
            dry.perform(NOTE),
            dry.perform(action(ActionKind.ASSIGN, target={"group_id": 5})),
            dry.perform(REPLY),
            dry.perform(suspend),
        ]
        found = dry.find_marker(NOTE)
    assert not rsps.calls and dry.dry_run and not found
    assert [o.requests for o in outcomes] == [
        (SentRequest("PUT", TAGS_URL, {"tags": ["sys_escalation"]}),),
        (SentRequest("PUT", TICKET_URL, {"ticket": {"id": 42, "comment": {
            "html_body": NOTE_HTML, "public": False}}}),),
        (SentRequest("PUT", TICKET_URL, {"ticket": {"id": 42, "group_id": 5}}),),
        (SentRequest("PUT", TICKET_URL, {"ticket": {"id": 42, "comment": {
            "body": "A person will reply here.", "public": True}}}),),
        (SentRequest("POST", PASS_CONTROL_URL, {"switchboardIntegration": "zd-agentWorkspace",
                                                "metadata": {"handoff_key": "k-1"}}),),
    ]  # fmt: skip
    assert all(o.reference is None and o.skipped is None for o in outcomes)


def test_outcome_and_credentials_never_show_secrets(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    mock.add(responses.PUT, TAGS_URL, json={"tags": ["a"]})
    outcome = client.perform(action(ActionKind.TAG, tags=("a",)))
    for text in (repr(outcome), repr(CREDENTIALS)):
        assert TOKEN not in text and "key-s3cret" not in text


# --- find_marker --------------------------------------------------------------------------


def comments_page(*comments: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    return {
        "comments": list(comments),
        "meta": {"has_more": next_url is not None},
        "links": {"next": next_url},
    }


def comment(body: str, *, public: bool, html_body: str = "") -> dict[str, Any]:
    return {"id": 1, "body": body, "html_body": html_body or f"<p>{body}</p>", "public": public}


def test_find_marker_finds_the_note_on_a_later_page(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    note = comment("Signal\nhandoff-ref: hx-1", public=False)
    page_2 = f"{COMMENTS_URL}?page[after]=abc"
    mock.add(
        responses.GET, COMMENTS_URL, json=comments_page(comment("hi", public=True), next_url=page_2)
    )
    mock.add(responses.GET, COMMENTS_URL, json=comments_page(note))
    assert client.find_marker(NOTE) is True
    assert mock.calls[0].request.headers["Authorization"] == ZENDESK_AUTH
    assert mock.calls[0].request.method == "GET"


def test_find_marker_is_false_without_the_marker(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    mock.add(
        responses.GET, COMMENTS_URL, json=comments_page(comment("handoff-ref: hx-2", public=False))
    )
    assert client.find_marker(NOTE) is False


def test_find_marker_matches_a_public_reply_by_text(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    private_copy = comment("A person will reply here.", public=False)
    public = comment("A person will reply here.\n", public=True)
    mock.add(responses.GET, COMMENTS_URL, json=comments_page(private_copy))
    mock.add(responses.GET, COMMENTS_URL, json=comments_page(private_copy, public))
    assert client.find_marker(REPLY) is False
    assert client.find_marker(REPLY) is True


def test_find_marker_does_not_look_for_idempotent_kinds(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    assert client.find_marker(action(ActionKind.TAG, tags=("a",))) is False
    assert not mock.calls


def test_find_marker_maps_errors(client: ZendeskClient, mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, COMMENTS_URL, status=429, headers={"Retry-After": "2"})
    with pytest.raises(RateLimited) as raised:
        client.find_marker(NOTE)
    assert raised.value.retry_after == 2.0


PLANNED_AT = 1_736_346_330.0  # 2025-01-08T14:25:30Z


def comment_at(created_at: str, body: str, *, public: bool) -> dict[str, Any]:
    return {**comment(body, public=public), "created_at": created_at}


def test_find_marker_ignores_an_earlier_episodes_reply(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    reply = dataclasses.replace(REPLY, planned_at=PLANNED_AT)
    earlier = comment_at("2025-01-01T09:00:00Z", "A person will reply here.", public=True)
    mock.add(responses.GET, COMMENTS_URL, json=comments_page(earlier))
    assert client.find_marker(reply) is False
    assert client.find_marker(REPLY) is True  # without planned_at every comment counts


@pytest.mark.parametrize(
    ("created_at", "found"),
    [
        ("2025-01-08T14:25:40Z", True),  # after planning
        ("2025-01-08T14:23:30Z", True),  # 120 s before: the clock skew margin
        ("2025-01-08T14:23:29Z", False),  # 121 s before
        ("2025-01-08T14:25:40+00:00", True),
        ("not a time", True),  # unknown time: kept (a missed match would post twice)
    ],
)
def test_find_marker_counts_replies_from_planned_at_less_the_margin(
    client: ZendeskClient, mock: responses.RequestsMock, created_at: str, found: bool
) -> None:
    reply = dataclasses.replace(REPLY, planned_at=PLANNED_AT)
    public = comment_at(created_at, "A person will reply here.", public=True)
    mock.add(responses.GET, COMMENTS_URL, json=comments_page(public))
    assert client.find_marker(reply) is found


def test_find_marker_filters_notes_by_time_too(
    client: ZendeskClient, mock: responses.RequestsMock
) -> None:
    note = dataclasses.replace(NOTE, planned_at=PLANNED_AT)
    old = comment_at("2025-01-08T14:00:00Z", "handoff-ref: hx-1", public=False)
    new = comment_at("2025-01-08T14:26:00Z", "handoff-ref: hx-1", public=False)
    mock.add(responses.GET, COMMENTS_URL, json=comments_page(old))
    mock.add(responses.GET, COMMENTS_URL, json=comments_page(old, new))
    assert client.find_marker(note) is False
    assert client.find_marker(note) is True


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ChunkedEncodingError("connection broken: IncompleteRead"),
        requests.exceptions.ContentDecodingError("bad gzip"),
        requests.exceptions.RetryError("too many 503"),
    ],
)
def test_an_answer_cut_off_is_retryable(
    client: ZendeskClient, mock: responses.RequestsMock, error: Exception
) -> None:
    mock.add(responses.PUT, TICKET_URL, body=error)
    with pytest.raises(PlatformError) as raised:
        client.perform(REPLY)
    assert raised.value.retryable and raised.value.status is None
    assert type(error).__name__ in str(raised.value)


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.InvalidURL("bad host"),
        requests.exceptions.MissingSchema("no scheme"),
        requests.exceptions.InvalidSchema("ftp"),
        requests.exceptions.InvalidHeader("bad header"),
        requests.exceptions.TooManyRedirects("loop"),
    ],
)
def test_a_malformed_request_is_final(
    client: ZendeskClient, mock: responses.RequestsMock, error: Exception
) -> None:
    mock.add(responses.PUT, TICKET_URL, body=error)
    with pytest.raises(PlatformError) as raised:
        client.perform(REPLY)
    assert not raised.value.retryable
    assert "malformed request" in str(raised.value)


def test_translated_errors_sorts_json_errors() -> None:
    unreadable = requests.exceptions.JSONDecodeError("Expecting value", "{", 1)
    with pytest.raises(PlatformError) as raised, translated_errors(1.0):
        raise unreadable
    assert raised.value.retryable and "JSONDecodeError" in str(raised.value)
    unserialisable = requests.exceptions.InvalidJSONError("body is not JSON")
    with pytest.raises(PlatformError) as raised, translated_errors(1.0):
        raise unserialisable
    assert not raised.value.retryable
    with pytest.raises(PlatformError) as raised, translated_errors(1.0):
        raise ZenpyException("refused by zenpy")
    assert not raised.value.retryable


@pytest.mark.parametrize(
    ("platform", "ticket_id"), [(Platform.INTERCOM, "42"), (Platform.ZENDESK, "abc")]
)
def test_refusals_are_final_in_perform_and_find_marker(
    client: ZendeskClient, mock: responses.RequestsMock, platform: Platform, ticket_id: str
) -> None:
    refused = Action(ActionKind.NOTE, platform, ticket_id, "k", text="x", marker="m")
    for call in (client.perform, client.find_marker):
        with pytest.raises(PlatformError) as raised:
            call(refused)
        assert raised.value.retryable is False
    assert not mock.calls
