from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient

from connectors.slack.blocks import HANDBACK_ACTION_ID, TAKE_ACTION_ID, button_value
from connectors.slack.interactivity import (
    ButtonPress,
    build_interactivity_app,
    button_press,
    handle_interactivity,
)
from tests.connectors.slack_fake import RESPONSE_URLS, SlackFake, response_urls

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CONVERSATION = "C0CUSTOMER:1700000000.000001"


__all__ = ["response_urls"]  # the imported autouse fixture (a loopback response URL)


def block_actions(action_id: str = TAKE_ACTION_ID, value: str | None = None) -> dict[str, Any]:
    """A block_actions payload shaped like the ones Slack sends for a message button."""
    return {
        "type": "block_actions",
        "user": {"id": "U0AGENT", "username": "ana", "name": "ana", "team_id": "T0ACME"},
        "api_app_id": "A0HANDOFF",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1700000100.000200",
            "channel_id": "C0TRIAGE",
            "is_ephemeral": False,
        },
        "trigger_id": "123.456.abc",
        "team": {"id": "T0ACME", "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": "C0TRIAGE", "name": "support-triage"},
        "message": {
            "type": "message",
            "subtype": "bot_message",
            "text": "Customer asked for a human.",
            "ts": "1700000100.000200",
            "bot_id": "B0HANDOFF",
            "blocks": [],
        },
        "state": {"values": {}},
        "response_url": RESPONSE_URLS.url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "handoff_actions",
                "text": {"type": "plain_text", "text": "Take it", "emoji": True},
                "value": button_value(CONVERSATION) if value is None else value,
                "action_ts": "1700000200.123456",
            }
        ],
    }


def form_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def signed(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers as Slack sends them, signed independently of the code under test."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }


class Presses:
    def __init__(self) -> None:
        self.seen: list[ButtonPress] = []

    def __call__(self, press: ButtonPress) -> None:
        self.seen.append(press)
        return None


@pytest.fixture
def presses() -> Presses:
    return Presses()


def post(presses: Presses, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    app = build_interactivity_app(SECRET, presses)
    status, _, text = handle_interactivity(app, body, headers, SECRET)
    return status, text


@pytest.mark.parametrize("action_id", [TAKE_ACTION_ID, HANDBACK_ACTION_ID])
def test_signed_press_is_acked_and_handed_over(action_id: str, presses: Presses) -> None:
    body = form_body(block_actions(action_id))
    status, _ = post(presses, body, signed(body))

    assert status == 200
    assert presses.seen == [
        ButtonPress(
            action_id=action_id,
            conversation_id=CONVERSATION,
            user_id="U0AGENT",
            team_id="T0ACME",
            channel_id="C0TRIAGE",
            message_ts="1700000100.000200",
        )
    ]


def test_bad_signature_is_401_and_not_handed_over(presses: Presses) -> None:
    body = form_body(block_actions())
    status, _ = post(presses, body, signed(body, secret="wrong-secret"))
    assert status == 401
    assert presses.seen == []


def test_a_forged_request_is_never_logged_with_its_body(
    presses: Presses, caplog: pytest.LogCaptureFixture
) -> None:
    body = form_body(block_actions())
    with caplog.at_level(logging.DEBUG):
        for headers in (signed(body, secret="wrong"), {}, signed(body, timestamp=1_000_000_000)):
            status, _ = post(presses, body, headers)
            assert status == 401
    assert not [r for r in caplog.records if "payload" in r.getMessage() or "v0=" in r.getMessage()]


def test_tampered_body_is_401(presses: Presses) -> None:
    body = form_body(block_actions())
    headers = signed(body)
    status, _ = post(presses, form_body(block_actions(HANDBACK_ACTION_ID)), headers)
    assert status == 401
    assert presses.seen == []


def test_stale_timestamp_is_401(presses: Presses) -> None:
    body = form_body(block_actions())
    status, _ = post(presses, body, signed(body, timestamp=int(time.time()) - 600))
    assert status == 401
    assert presses.seen == []


def test_missing_signature_headers_is_401(presses: Presses) -> None:
    body = form_body(block_actions())
    status, _ = post(presses, body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 401
    assert presses.seen == []


def test_unknown_action_id_is_not_handed_over(presses: Presses) -> None:
    body = form_body(block_actions("someone_elses_button"))
    status, _ = post(presses, body, signed(body))
    assert status == 404
    assert presses.seen == []


def test_foreign_value_is_acked_but_not_handed_over(presses: Presses) -> None:
    body = form_body(block_actions(value="not-json"))
    status, _ = post(presses, body, signed(body))
    assert status == 200
    assert presses.seen == []


def test_no_web_api_call_on_construction_or_dispatch(presses: Presses) -> None:
    with SlackFake() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        app = build_interactivity_app(SECRET, presses, client=client)
        body = form_body(block_actions())
        status, _, _ = handle_interactivity(app, body, signed(body), SECRET)
        assert status == 200
        assert slack.requests == []
    assert len(presses.seen) == 1


def test_empty_signing_secret_is_refused(presses: Presses) -> None:
    with pytest.raises(ValueError):
        build_interactivity_app("", presses)


def test_button_press_falls_back_to_the_container() -> None:
    payload = block_actions()
    for key in ("team", "channel", "message"):
        del payload[key]
    press = button_press(payload, payload["actions"][0])
    assert press is not None
    assert (press.team_id, press.channel_id, press.message_ts) == (
        "T0ACME",
        "C0TRIAGE",
        "1700000100.000200",
    )
