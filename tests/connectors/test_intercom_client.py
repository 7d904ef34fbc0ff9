from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from connectors.actions import Action, ActionKind, Outcome, SentRequest
from connectors.errors import PlatformError, RateLimited
from connectors.intercom.client import IntercomClient, IntercomCredentials
from connectors.intercom.wire import note_html, retry_after
from connectors.model import Platform

BASE = "http://127.0.0.1:9"
TOKEN = "tok-secret-123"
ADMIN = "814"
CID = "123"
CREDS = IntercomCredentials(token=TOKEN, admin_id=ADMIN, base_url=BASE, api_version="2.14")
NOW = 1_700_000_000.0
NOT_FOUND = {
    "type": "error.list",
    "request_id": "req-1",
    "errors": [{"code": "not_found", "message": "Conversation Not Found"}],
}


def act(kind: ActionKind, **fields: Any) -> Action:
    return Action(kind=kind, platform=Platform.INTERCOM, conversation_id=CID, key="k", **fields)


def conversation(*parts: dict[str, Any]) -> dict[str, Any]:
    listed = {"type": "conversation_part.list", "conversation_parts": list(parts)}
    return {"type": "conversation", "id": CID, "conversation_parts": listed}


def tag_answer(request: httpx.Request) -> httpx.Response:
    name = json.loads(request.content)["name"]
    return httpx.Response(200, json={"type": "tag", "id": f"id-{name}", "name": name})


@pytest.fixture(scope="module")
def client() -> Iterator[IntercomClient]:
    c = IntercomClient(CREDS, clock=lambda: NOW)
    yield c
    c.close()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def sent(router: respx.MockRouter) -> list[tuple[str, str, Any]]:
    """(method, path, JSON body) of every request the mock received, headers checked."""
    out = []
    for call in router.calls:
        request = call.request
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Intercom-Version"] == "2.14"
        if request.method == "POST":
            assert request.headers["Content-Type"] == "application/json"
        body = json.loads(request.content) if request.content else None
        out.append((request.method, request.url.path, body))
    return out


def urls(outcome: Outcome) -> list[tuple[str, str, Any]]:
    return [(r.method, r.url, r.body) for r in outcome.requests]


# --- the five kinds ----------------------------------------------------------------------


def test_tag_finds_or_creates_each_tag_then_tags_the_conversation(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    api.post("/tags").mock(side_effect=tag_answer)
    api.post(f"/conversations/{CID}/tags").mock(
        return_value=httpx.Response(200, json={"type": "tag", "id": "x", "name": "x"})
    )
    outcome = client.perform(act(ActionKind.TAG, tags=("sys_escalation", "tier2", "TIER2", " ")))
    assert sent(api) == [
        ("POST", "/tags", {"name": "sys_escalation"}),
        ("POST", f"/conversations/{CID}/tags", {"id": "id-sys_escalation", "admin_id": ADMIN}),
        ("POST", "/tags", {"name": "tier2"}),
        ("POST", f"/conversations/{CID}/tags", {"id": "id-tier2", "admin_id": ADMIN}),
    ]
    assert urls(outcome) == [
        ("POST", f"{BASE}/tags", {"name": "sys_escalation"}),
        (
            "POST",
            f"{BASE}/conversations/{CID}/tags",
            {"id": "id-sys_escalation", "admin_id": ADMIN},
        ),
        ("POST", f"{BASE}/tags", {"name": "tier2"}),
        ("POST", f"{BASE}/conversations/{CID}/tags", {"id": "id-tier2", "admin_id": ADMIN}),
    ]
    assert outcome.skipped is None


def test_tag_without_tags_is_skipped_without_a_request(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    outcome = client.perform(act(ActionKind.TAG))
    assert outcome == Outcome(skipped="no tags to add")
    assert not api.calls


def test_note_is_an_admin_note_with_escaped_paragraphs_links_and_marker(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    api.post(f"/conversations/{CID}/reply").mock(
        return_value=httpx.Response(200, json=conversation({"id": "p1"}, {"id": "p9"}))
    )
    action = act(
        ActionKind.NOTE,
        text="Escalated: <refund> & angry\n\n  second line  ",
        links={"state_api": "https://h.example/s?a=1&b=2"},
        marker="hx-1",
    )
    outcome = client.perform(action)
    body = (
        "<p>Escalated: &lt;refund&gt; &amp; angry</p><p>second line</p>"
        '<p>state_api: <a href="https://h.example/s?a=1&amp;b=2">https://h.example/s?a=1&amp;b=2</a></p>'
        "<p>handoff-ref: hx-1</p>"
    )
    expected = {"message_type": "note", "type": "admin", "body": body, "admin_id": ADMIN}
    assert sent(api) == [("POST", f"/conversations/{CID}/reply", expected)]
    assert urls(outcome) == [("POST", f"{BASE}/conversations/{CID}/reply", expected)]
    assert outcome.reference == "p9"


def test_reply_is_a_public_admin_comment(client: IntercomClient, api: respx.MockRouter) -> None:
    api.post(f"/conversations/{CID}/reply").mock(
        return_value=httpx.Response(200, json={"type": "conversation", "id": CID})
    )
    outcome = client.perform(act(ActionKind.REPLY, text="A person will reply.", marker="hx-2"))
    expected = {
        "message_type": "comment",
        "type": "admin",
        "body": "<p>A person will reply.</p>",
        "admin_id": ADMIN,
    }
    assert sent(api) == [("POST", f"/conversations/{CID}/reply", expected)]
    assert outcome.requests == (SentRequest("POST", f"{BASE}/conversations/{CID}/reply", expected),)
    assert outcome.reference is None


def test_reply_without_text_is_skipped(client: IntercomClient, api: respx.MockRouter) -> None:
    assert client.perform(act(ActionKind.REPLY, text="  ")).skipped == "no reply text"
    assert not api.calls


def test_assign_to_team(client: IntercomClient, api: respx.MockRouter) -> None:
    api.post(f"/conversations/{CID}/parts").mock(
        return_value=httpx.Response(200, json=conversation({"id": "p5"}))
    )
    outcome = client.perform(act(ActionKind.ASSIGN, target={"team_id": 555}))
    expected = {
        "message_type": "assignment",
        "type": "team",
        "admin_id": ADMIN,
        "assignee_id": "555",
    }
    assert sent(api) == [("POST", f"/conversations/{CID}/parts", expected)]
    assert urls(outcome) == [("POST", f"{BASE}/conversations/{CID}/parts", expected)]
    assert outcome.reference == "p5"


def test_assign_to_admin(client: IntercomClient, api: respx.MockRouter) -> None:
    api.post(f"/conversations/{CID}/parts").mock(
        return_value=httpx.Response(200, json=conversation())
    )
    client.perform(act(ActionKind.ASSIGN, target={"admin_id": "77", "team_id": None}))
    expected = {
        "message_type": "assignment",
        "type": "admin",
        "admin_id": ADMIN,
        "assignee_id": "77",
    }
    assert sent(api) == [("POST", f"/conversations/{CID}/parts", expected)]


def test_assign_opens_then_assigns_team_then_admin(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    api.post(f"/conversations/{CID}/parts").mock(
        return_value=httpx.Response(200, json=conversation())
    )
    outcome = client.perform(
        act(ActionKind.ASSIGN, target={"team_id": "555", "admin_id": 77, "open": True})
    )
    path = f"/conversations/{CID}/parts"
    assert sent(api) == [
        ("POST", path, {"message_type": "open", "admin_id": ADMIN}),
        (
            "POST",
            path,
            {"message_type": "assignment", "type": "team", "admin_id": ADMIN, "assignee_id": "555"},
        ),
        (
            "POST",
            path,
            {"message_type": "assignment", "type": "admin", "admin_id": ADMIN, "assignee_id": "77"},
        ),
    ]
    assert len(outcome.requests) == 3


def test_assign_then_snooze_for_the_configured_minutes(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    api.post(f"/conversations/{CID}/parts").mock(
        return_value=httpx.Response(200, json=conversation())
    )
    client.perform(act(ActionKind.ASSIGN, target={"team_id": "555", "snooze_minutes": 30}))
    path = f"/conversations/{CID}/parts"
    assert sent(api)[-1] == (
        "POST",
        path,
        {"message_type": "snoozed", "admin_id": ADMIN, "snoozed_until": int(NOW) + 1800},
    )
    assert len(sent(api)) == 2


def test_assign_without_team_or_admin_is_skipped(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    outcome = client.perform(act(ActionKind.ASSIGN, target={"team_id": "", "open": True}))
    assert outcome.skipped is not None and not outcome.requests
    assert not api.calls


def test_suspend_is_skipped(client: IntercomClient, api: respx.MockRouter) -> None:
    outcome = client.perform(act(ActionKind.SUSPEND))
    assert outcome == Outcome(skipped="on Intercom the assignment away from the bot suspends it")
    assert not api.calls


def test_action_for_another_platform_is_a_final_error(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    action = Action(
        kind=ActionKind.NOTE, platform=Platform.ZENDESK, conversation_id="1", key="k", marker="m"
    )
    for call in (client.perform, client.find_marker):
        with pytest.raises(PlatformError, match="not an Intercom action") as caught:
            call(action)
        assert caught.value.retryable is False
    assert not api.calls


def test_region_picks_the_host_and_version_is_sent() -> None:
    creds = IntercomCredentials(token=TOKEN, admin_id=ADMIN, region="eu", api_version="2.13")
    client = IntercomClient(creds)
    host = "https://api.eu.intercom.io"
    with respx.mock(base_url=host) as router:
        router.post(f"/conversations/{CID}/reply").mock(
            return_value=httpx.Response(200, json=conversation())
        )
        outcome = client.perform(act(ActionKind.REPLY, text="hi"))
        assert router.calls.last.request.headers["Intercom-Version"] == "2.13"
    assert outcome.requests[0].url == f"{host}/conversations/{CID}/reply"


def test_credentials_and_outcomes_never_show_the_token(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    api.post(f"/conversations/{CID}/reply").mock(
        return_value=httpx.Response(200, json=conversation())
    )
    outcome = client.perform(act(ActionKind.NOTE, text="x", marker="m"))
    assert TOKEN not in repr(CREDS)
    assert TOKEN not in repr(outcome)


# --- errors --------------------------------------------------------------------------------


def test_429_is_rate_limited_with_retry_after_and_no_sdk_retry(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    route = api.post(f"/conversations/{CID}/reply").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "7"}, json=NOT_FOUND)
    )
    with pytest.raises(RateLimited) as caught:
        client.perform(act(ActionKind.NOTE, text="x", marker="m"))
    assert caught.value.retry_after == 7.0
    assert caught.value.platform == "intercom"
    assert route.call_count == 1


def test_429_without_retry_after_uses_ratelimit_reset(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    route = api.post("/tags").mock(
        return_value=httpx.Response(429, headers={"X-RateLimit-Reset": str(int(NOW) + 4)}, json={})
    )
    with pytest.raises(RateLimited) as caught:
        client.perform(act(ActionKind.TAG, tags=("a",)))
    assert caught.value.retry_after == 4.0
    assert route.call_count == 1


def test_429_without_hints_has_unknown_retry_after(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    api.post(f"/conversations/{CID}/parts").mock(return_value=httpx.Response(429, text="slow down"))
    with pytest.raises(RateLimited) as caught:
        client.perform(act(ActionKind.ASSIGN, target={"team_id": "1"}))
    assert caught.value.retry_after is None


def test_5xx_is_retryable(client: IntercomClient, api: respx.MockRouter) -> None:
    route = api.post(f"/conversations/{CID}/parts").mock(
        return_value=httpx.Response(
            503,
            json={
                "type": "error.list",
                "errors": [{"code": "service_unavailable", "message": "Try later"}],
            },
        )
    )
    with pytest.raises(PlatformError) as caught:
        client.perform(act(ActionKind.ASSIGN, target={"team_id": "1"}))
    assert (caught.value.retryable, caught.value.status) == (True, 503)
    assert "Try later" in str(caught.value)
    assert route.call_count == 1


@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout("read timed out"), httpx.ConnectTimeout("connect timed out")]
)
def test_timeout_is_retryable_without_status(
    client: IntercomClient, api: respx.MockRouter, error: Exception
) -> None:
    api.post(f"/conversations/{CID}/reply").mock(side_effect=error)
    with pytest.raises(PlatformError) as caught:
        client.perform(act(ActionKind.NOTE, text="x", marker="m"))
    assert (caught.value.retryable, caught.value.status) == (True, None)
    assert "timeout" in str(caught.value)


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed connection without sending complete body"),
        httpx.DecodingError("bad gzip"),
        httpx.ReadError("reset"),
    ],
)
def test_transport_error_or_answer_cut_off_is_retryable(
    client: IntercomClient, api: respx.MockRouter, error: Exception
) -> None:
    api.post("/tags").mock(side_effect=error)
    with pytest.raises(PlatformError) as caught:
        client.perform(act(ActionKind.TAG, tags=("a",)))
    assert (caught.value.retryable, caught.value.status) == (True, None)
    assert type(error).__name__ in str(caught.value)


@pytest.mark.parametrize(
    "error",
    [
        httpx.UnsupportedProtocol("Request URL is missing an 'http://' or 'https://' protocol."),
        httpx.LocalProtocolError("Illegal header value"),
        httpx.TooManyRedirects("Exceeded maximum allowed redirects."),
        httpx.InvalidURL("Invalid non-printable ASCII character in URL"),
    ],
)
def test_malformed_request_is_final(
    client: IntercomClient, api: respx.MockRouter, error: Exception
) -> None:
    api.post(f"/conversations/{CID}/reply").mock(side_effect=error)
    with pytest.raises(PlatformError) as caught:
        client.perform(act(ActionKind.REPLY, text="x"))
    assert (caught.value.retryable, caught.value.status) == (False, None)
    assert "malformed request" in str(caught.value)


def test_unreadable_2xx_answer_is_retryable(client: IntercomClient, api: respx.MockRouter) -> None:
    api.post(f"/conversations/{CID}/reply").mock(
        return_value=httpx.Response(
            200,
            text='{"type": "conversation", "id": "12',
            headers={"Content-Type": "application/json"},
        )
    )
    with pytest.raises(PlatformError) as caught:
        client.perform(act(ActionKind.REPLY, text="x"))
    assert (caught.value.retryable, caught.value.status) == (True, 200)
    assert "may have been applied" in str(caught.value)


@pytest.mark.parametrize(
    ("path", "action", "status"),
    [
        (f"/conversations/{CID}/reply", act(ActionKind.NOTE, text="x", marker="m"), 404),
        (f"/conversations/{CID}/reply", act(ActionKind.REPLY, text="x"), 401),
        (f"/conversations/{CID}/parts", act(ActionKind.ASSIGN, target={"team_id": "1"}), 422),
        ("/tags", act(ActionKind.TAG, tags=("a",)), 400),
    ],
)
def test_4xx_is_final_and_keeps_intercoms_message(
    client: IntercomClient, api: respx.MockRouter, path: str, action: Action, status: int
) -> None:
    route = api.post(path).mock(return_value=httpx.Response(status, json=NOT_FOUND))
    with pytest.raises(PlatformError) as caught:
        client.perform(action)
    error = caught.value
    assert (error.retryable, error.status) == (False, status)
    assert "not_found: Conversation Not Found" in str(error)
    assert TOKEN not in str(error)
    assert route.call_count == 1


# --- dry run -------------------------------------------------------------------------------


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("dry run opened a socket")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.usefixtures("no_sockets")
def test_dry_run_records_the_same_requests_without_sending() -> None:
    client = IntercomClient(CREDS, dry_run=True)
    with respx.mock(assert_all_called=False) as router:
        tag = client.perform(act(ActionKind.TAG, tags=("sys_escalation",)))
        note = client.perform(act(ActionKind.NOTE, text="hello", marker="hx-1"))
        assign = client.perform(act(ActionKind.ASSIGN, target={"team_id": "5", "open": True}))
        reply = client.perform(act(ActionKind.REPLY, text="bye"))
        found = client.find_marker(act(ActionKind.NOTE, marker="hx-1"))
    assert not router.calls
    assert urls(tag) == [
        ("POST", f"{BASE}/tags", {"name": "sys_escalation"}),
        ("POST", f"{BASE}/conversations/{CID}/tags", {"id": "dry-run", "admin_id": ADMIN}),
    ]
    note_body = "<p>hello</p><p>handoff-ref: hx-1</p>"
    assert urls(note) == [
        (
            "POST",
            f"{BASE}/conversations/{CID}/reply",
            {"message_type": "note", "type": "admin", "body": note_body, "admin_id": ADMIN},
        )
    ]
    assert [r.body["message_type"] for r in assign.requests] == ["open", "assignment"]
    assert reply.requests[0].body["message_type"] == "comment"
    assert found is False


@pytest.mark.usefixtures("no_sockets")
def test_dry_run_uses_the_region_host() -> None:
    creds = IntercomCredentials(token=TOKEN, admin_id=ADMIN, region="au")
    outcome = IntercomClient(creds, dry_run=True).perform(act(ActionKind.REPLY, text="x"))
    assert outcome.requests[0].url == f"https://api.au.intercom.io/conversations/{CID}/reply"


def test_dry_run_records_what_a_live_run_sends(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    action = act(ActionKind.ASSIGN, target={"team_id": "5", "admin_id": "6", "open": True})
    api.post(f"/conversations/{CID}/parts").mock(
        return_value=httpx.Response(200, json=conversation())
    )
    live = client.perform(action)
    dry = IntercomClient(CREDS, dry_run=True).perform(action)
    assert dry.requests == live.requests


# --- find_marker ---------------------------------------------------------------------------


def test_find_marker_finds_the_notes_marker(client: IntercomClient, api: respx.MockRouter) -> None:
    route = api.get(f"/conversations/{CID}", params={"display_as": "plaintext"}).mock(
        return_value=httpx.Response(
            200,
            json=conversation(
                {"id": "1", "part_type": "comment", "body": "hello"},
                {"id": "2", "part_type": "note", "body": "Escalated\nhandoff-ref: hx-1"},
            ),
        )
    )
    assert client.find_marker(act(ActionKind.NOTE, marker="hx-1")) is True
    assert route.call_count == 1
    assert sent(api) == [("GET", f"/conversations/{CID}", None)]


def test_find_marker_answers_false_when_absent(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    api.get(f"/conversations/{CID}").mock(
        return_value=httpx.Response(
            200,
            json=conversation(
                {"id": "2", "part_type": "note", "body": "handoff-ref: hx-0"},
                {"id": "3", "body": None},
            ),
        )
    )
    assert client.find_marker(act(ActionKind.NOTE, marker="hx-1")) is False


def test_find_marker_with_no_parts_is_false(client: IntercomClient, api: respx.MockRouter) -> None:
    api.get(f"/conversations/{CID}").mock(
        return_value=httpx.Response(200, json={"type": "conversation", "id": CID})
    )
    assert client.find_marker(act(ActionKind.NOTE, marker="hx-1")) is False


def test_find_marker_for_reply_matches_a_comment_with_the_same_text(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    api.get(f"/conversations/{CID}").mock(
        return_value=httpx.Response(
            200,
            json=conversation(
                {"id": "9", "part_type": "comment", "body": "Thanks.\n\nA person will reply."}
            ),
        )
    )
    assert client.find_marker(act(ActionKind.REPLY, text="Thanks.\nA person will reply.")) is True
    assert client.find_marker(act(ActionKind.REPLY, text="Something else")) is False


def test_find_marker_for_reply_ignores_notes(client: IntercomClient, api: respx.MockRouter) -> None:
    api.get(f"/conversations/{CID}").mock(
        return_value=httpx.Response(
            200, json=conversation({"id": "9", "part_type": "note", "body": "Same"})
        )
    )
    assert client.find_marker(act(ActionKind.REPLY, text="Same")) is False


def test_find_marker_without_anything_to_find_sends_nothing(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    assert client.find_marker(act(ActionKind.TAG, tags=("a",))) is False
    assert client.find_marker(act(ActionKind.NOTE, marker="")) is False
    assert client.find_marker(act(ActionKind.REPLY, text=" ")) is False
    assert not api.calls


def test_find_marker_errors_are_mapped(client: IntercomClient, api: respx.MockRouter) -> None:
    api.get(f"/conversations/{CID}").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "2"}, json={})
    )
    with pytest.raises(RateLimited) as caught:
        client.find_marker(act(ActionKind.NOTE, marker="m"))
    assert caught.value.retry_after == 2.0


# --- helpers -------------------------------------------------------------------------------


def test_note_html_without_links_or_marker() -> None:
    assert note_html("a\n\n b \n") == "<p>a</p><p>b</p>"
    assert note_html("", marker="m<1>") == "<p>handoff-ref: m&lt;1&gt;</p>"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"Retry-After": "Tue, 14 Nov 2023 22:13:30 GMT"}, 10.0),
        ({"Retry-After": "soon"}, None),
        ({"x-ratelimit-reset": str(int(NOW) - 5)}, 0.0),
        ({"X-RateLimit-Reset": "never"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(headers, NOW) == expected


PLANNED_AT = 1_700_000_100.0


def test_find_marker_for_reply_ignores_an_earlier_episodes_comment(
    client: IntercomClient, api: respx.MockRouter
) -> None:
    same = "A person will reply."
    api.get(f"/conversations/{CID}").mock(
        return_value=httpx.Response(
            200,
            json=conversation(
                {"id": "1", "part_type": "comment", "body": same, "created_at": 1_690_000_000},
                {"id": "2", "part_type": "comment", "body": "other", "created_at": 1_700_000_200},
            ),
        )
    )
    reply = act(ActionKind.REPLY, text=same, planned_at=PLANNED_AT)
    assert client.find_marker(reply) is False
    assert client.find_marker(act(ActionKind.REPLY, text=same)) is True  # planned_at unset


@pytest.mark.parametrize(
    ("created_at", "found"),
    [
        (1_700_000_150, True),  # after planning
        (1_699_999_980, True),  # 120 s before: the clock skew margin
        (1_699_999_979, False),  # 121 s before
        (None, True),  # no time given: kept (a missed match would post twice)
    ],
)
def test_find_marker_counts_parts_from_planned_at_less_the_margin(
    client: IntercomClient, api: respx.MockRouter, created_at: int | None, found: bool
) -> None:
    api.get(f"/conversations/{CID}").mock(
        return_value=httpx.Response(
            200,
            json=conversation(
                {"id": "1", "part_type": "comment", "body": "Hi", "created_at": created_at},
                {
                    "id": "2",
                    "part_type": "note",
                    "body": "handoff-ref: hx-1",
                    "created_at": created_at,
                },
            ),
        )
    )
    assert client.find_marker(act(ActionKind.REPLY, text="Hi", planned_at=PLANNED_AT)) is found
    assert client.find_marker(act(ActionKind.NOTE, marker="hx-1", planned_at=PLANNED_AT)) is found
