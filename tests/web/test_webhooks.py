"""Webhooks through the Flask test client, real signatures, on SQLite and PostgreSQL + Redis."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from flask.testing import FlaskClient
from structlog.testing import capture_logs
from werkzeug.test import TestResponse

from handover.models import EventStatus
from handover.runtime import Runtime
from tests.connectors.connector_fixtures import raw_fixture
from tests.web.conftest import (
    WORKSPACE,
    ZENDESK_ONLY,
    decisions_of,
    drain,
    event_count,
    event_rows,
)
from tests.web.signing import (
    SECRET_NAMES,
    SECRETS,
    in_conversation,
    signed,
    with_id,
    without_id,
)

FIXTURES = {
    "zendesk": "ticket.comment_added",
    "intercom": "conversation.user.replied",
    "slack": "message.channels",
}
PLATFORMS = sorted(FIXTURES)


def fresh(platform: str) -> tuple[bytes, str]:
    """A fixture body with a delivery id and a conversation no other test uses."""
    delivery_id = f"web-{uuid.uuid4()}"
    body = with_id(raw_fixture(platform, FIXTURES[platform]), platform, delivery_id)
    conversation = str(uuid.uuid4().int % 10**12) if platform == "zendesk" else delivery_id
    return in_conversation(body, platform, conversation), delivery_id


def post(
    client: FlaskClient,
    platform: str,
    body: bytes,
    headers: dict[str, str],
    workspace: str = WORKSPACE,
) -> TestResponse:
    return client.post(f"/webhooks/{platform}/{workspace}", data=body, headers=headers)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_signed_event_is_stored_once_then_decided_by_the_worker(
    client: FlaskClient, runtime: Runtime, platform: str
) -> None:
    body, delivery_id = fresh(platform)
    response = post(client, platform, body, signed(platform, body))
    assert (response.status_code, response.json) == (200, {"status": "accepted"})
    [event] = event_rows(runtime, delivery_id)
    assert (event.workspace, event.platform, event.status) == (WORKSPACE, platform, "stored")
    assert event.body == body.decode()
    assert "x-hub-signature" not in event.headers and "x-slack-signature" not in event.headers

    assert drain(runtime) == 1  # the worker found it in the store and ran exactly one job
    [event] = event_rows(runtime, delivery_id)
    assert event.status == EventStatus.PROCESSED
    [decision] = decisions_of(runtime, event.id)
    assert decision.cause == "detection" and decision.status in ("escalate", "pending", "none")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_duplicate_and_retried_deliveries_are_stored_and_processed_once(
    client: FlaskClient, runtime: Runtime, platform: str
) -> None:
    body, delivery_id = fresh(platform)
    first = post(client, platform, body, signed(platform, body))
    retry_headers = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    again = post(client, platform, body, {**signed(platform, body), **retry_headers})
    later = post(client, platform, body, signed(platform, body, age=30))  # re-signed retry
    assert [r.status_code for r in (first, again, later)] == [200, 200, 200]
    assert again.json == later.json == {"status": "duplicate"}
    assert len(event_rows(runtime, delivery_id)) == 1
    assert drain(runtime) == 1
    [event] = event_rows(runtime, delivery_id)
    assert len(decisions_of(runtime, event.id)) == 1


BAD = [
    (platform, case)
    for platform in PLATFORMS
    for case in ("unsigned", "forged", "tampered", "stale", "other workspace's secret")
    if not (platform == "intercom" and case == "stale")  # Intercom signs no timestamp
]


@pytest.mark.parametrize(("platform", "case"), BAD)
def test_unverifiable_requests_are_401_and_nothing_is_stored(
    client: FlaskClient, runtime: Runtime, platform: str, case: str
) -> None:
    body, _ = fresh(platform)
    other = next(p for p in PLATFORMS if p != platform)
    headers = {
        "unsigned": {"Content-Type": "application/json"},
        "forged": signed(platform, body, secret="guessed-secret"),
        "tampered": signed(platform, body),
        "stale": signed(platform, body, age=360),
        "other workspace's secret": signed(platform, body, secret=SECRETS[other]),
    }[case]
    sent = body.replace(b'"', b' "', 1) if case == "tampered" else body
    before = event_count(runtime)
    response = post(client, platform, sent, headers)
    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "invalid signature"
    assert event_count(runtime) == before
    assert drain(runtime) == 0
    assert "X-Slack-No-Retry" not in response.headers  # a rotated secret must not lose retries


def post_chunked(
    client: FlaskClient, platform: str, body: bytes, headers: dict[str, str]
) -> TestResponse:
    """Post `body` as a chunked request whose length is unknown, as gunicorn passes one on.

    `Transfer-Encoding: chunked` makes the request's declared length None (whatever the
    test client computes); the server has decoded the chunks and terminates the input.
    """
    return client.post(
        f"/webhooks/{platform}/{WORKSPACE}",
        input_stream=io.BytesIO(body),
        headers={**headers, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def padded(body: bytes, size: int) -> bytes:
    """The JSON object `body` grown to exactly `size` bytes by a `pad` key."""
    head = body.rstrip()[:-1] + b', "pad": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


@pytest.mark.parametrize("platform", PLATFORMS)
def test_bodies_over_the_limit_are_413_and_not_stored(
    client: FlaskClient, runtime: Runtime, platform: str
) -> None:
    limit = runtime.settings.max_body_bytes
    body = b'{"pad": "' + b"x" * limit + b'"}'
    before = event_count(runtime)
    declared = post(client, platform, body, signed(platform, body))
    streamed = post_chunked(client, platform, body, signed(platform, body))
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert declared.json == streamed.json == {"error": "body too large"}
    assert event_count(runtime) == before


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_chunked_body_one_byte_over_the_limit_is_413_before_verification(
    client: FlaskClient, runtime: Runtime, platform: str
) -> None:
    body, _ = fresh(platform)
    over = padded(body, runtime.settings.max_body_bytes + 1)
    with capture_logs() as logs:
        response = post_chunked(client, platform, over, signed(platform, over))
    assert (response.status_code, response.json) == (413, {"error": "body too large"})
    assert [e["event"] for e in logs if e["event"].startswith("webhook.")] == ["webhook.too_large"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_chunked_body_of_exactly_the_limit_is_stored(
    client: FlaskClient, runtime: Runtime, platform: str
) -> None:
    body, delivery_id = fresh(platform)
    exact = padded(body, runtime.settings.max_body_bytes)
    response = post_chunked(client, platform, exact, signed(platform, exact))
    assert (response.status_code, response.json) == (200, {"status": "accepted"})
    [event] = event_rows(runtime, delivery_id)
    assert event.body == exact.decode()


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("case", ["invalid JSON", "no dedupe id"])
def test_signed_but_unusable_bodies_are_400_and_not_stored(
    client: FlaskClient, runtime: Runtime, platform: str, case: str
) -> None:
    body, _ = fresh(platform)
    sent = body[:-5] if case == "invalid JSON" else without_id(body, platform)
    before = event_count(runtime)
    response = post(client, platform, sent, signed(platform, sent))
    assert response.status_code == 400
    assert response.json is not None and response.json["error"] == "bad request"
    reason = "body is not a JSON object" if case == "invalid JSON" else "no delivery id"
    assert response.json["reason"].startswith(reason)
    assert event_count(runtime) == before


def test_unhandled_event_types_are_200_and_not_stored(
    client: FlaskClient, runtime: Runtime
) -> None:
    body = json.dumps({"type": "zen:event-type:ticket.priority_changed", "id": "p-1"}).encode()
    before = event_count(runtime)
    with capture_logs() as logs:
        response = post(client, "zendesk", body, signed("zendesk", body))
    assert (response.status_code, response.json) == (200, {"status": "ignored"})
    assert event_count(runtime) == before
    [entry] = [e for e in logs if e["event"] == "webhook.ignored"]
    assert entry["event_type"] == "zen:event-type:ticket.priority_changed"


def test_unknown_workspace_and_missing_platform_get_the_same_404(
    client: FlaskClient, runtime: Runtime
) -> None:
    body, _ = fresh("slack")
    before = event_count(runtime)
    unknown = post(client, "slack", body, signed("slack", body), workspace="no-such-shop")
    no_slack = post(client, "slack", body, signed("slack", body), workspace=ZENDESK_ONLY)
    no_platform = post(client, "teams", body, signed("slack", body))
    assert unknown.status_code == no_slack.status_code == no_platform.status_code == 404
    assert unknown.get_data() == no_slack.get_data() == no_platform.get_data()
    assert WORKSPACE not in unknown.get_data(as_text=True)
    assert event_count(runtime) == before


def test_the_zendesk_only_workspace_receives_zendesk(client: FlaskClient, runtime: Runtime) -> None:
    body, delivery_id = fresh("zendesk")
    response = post(client, "zendesk", body, signed("zendesk", body), workspace=ZENDESK_ONLY)
    assert response.status_code == 200
    [event] = event_rows(runtime, delivery_id)
    assert event.workspace == ZENDESK_ONLY


def test_a_secret_that_is_not_set_is_503_logged_by_name_only(
    client: FlaskClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_NAMES["zendesk"])
    body, _ = fresh("zendesk")
    before = event_count(runtime)
    with capture_logs() as logs:
        response = post(client, "zendesk", body, signed("zendesk", body))
    assert response.status_code == 503
    assert SECRET_NAMES["zendesk"] not in response.get_data(as_text=True)
    [entry] = [e for e in logs if e["event"] == "webhook.secret_unset"]
    assert entry["secret"] == SECRET_NAMES["zendesk"] and entry["log_level"] == "error"
    assert not any(value in repr(logs) for value in SECRETS.values())
    assert event_count(runtime) == before


def test_slack_url_verification_is_answered_after_the_signature_check(
    client: FlaskClient, runtime: Runtime
) -> None:
    body = raw_fixture("slack", "url_verification")
    before = event_count(runtime)
    response = post(client, "slack", body, signed("slack", body))
    assert response.status_code == 200
    assert response.json == {"challenge": json.loads(body)["challenge"]}
    assert post(client, "slack", body, signed("slack", body, age=600)).status_code == 401
    assert event_count(runtime) == before


def test_intercom_ping_is_answered_and_not_stored(client: FlaskClient, runtime: Runtime) -> None:
    body = raw_fixture("intercom", "ping")
    before = event_count(runtime)
    response = post(client, "intercom", body, signed("intercom", body))
    assert (response.status_code, response.json) == (200, {"status": "pong"})
    assert event_count(runtime) == before


def test_log_lines_carry_ids_never_bodies_or_secrets(client: FlaskClient, runtime: Runtime) -> None:
    body, delivery_id = fresh("zendesk")
    with capture_logs() as logs:
        post(client, "zendesk", body, signed("zendesk", body))
        post(client, "zendesk", body, signed("zendesk", body, secret="wrong"))
    [accepted] = [e for e in logs if e["event"] == "webhook.received"]
    assert accepted["delivery_id"] == delivery_id and accepted["duplicate"] is False
    [refused] = [e for e in logs if e["event"] == "webhook.unauthorized"]
    assert refused["reason"] == "mismatch"
    text = repr(logs)
    assert "Kann ich bitte" not in text and SECRETS["zendesk"] not in text
