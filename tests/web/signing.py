"""Sign webhook bodies the way each platform does, independently of the code under test.

The formulas follow platforms.md §1.3 (Zendesk), §2.4 (Intercom) and §3.2 (Slack), with
`hmac`/`hashlib` only: if the connectors' verifiers drifted from the platforms, these
tests would catch it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

SECRETS = {
    "zendesk": "zendesk-test-secret",
    "intercom": "intercom-test-client-secret",
    "slack": "slack-test-signing-secret",
}
"""Test secret values, set for the example workspace's secret names."""
SECRET_NAMES = {
    "zendesk": "ACME_ZENDESK_WEBHOOK_SECRET",
    "intercom": "ACME_INTERCOM_CLIENT_SECRET",
    "slack": "ACME_SLACK_SIGNING_SECRET",
}
ID_PATHS = {"zendesk": "id", "intercom": "id", "slack": "event_id"}
"""Where each platform puts the delivery's dedupe id in the body."""
CONVERSATION_PATHS = {
    "zendesk": ("detail", "id"),
    "intercom": ("data", "item", "id"),
    "slack": ("event", "channel"),
}
"""Where each platform puts the conversation (ticket, conversation, channel) id."""


def zendesk(secret: str, body: bytes, at: float) -> dict[str, str]:
    """Zendesk: base64(HMAC-SHA256(secret, ISO timestamp + body))."""
    stamp = datetime.fromtimestamp(int(at), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    mac = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return {
        "X-Zendesk-Webhook-Signature": base64.b64encode(mac).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Invocation-Id": "8350205582",
        "X-Zendesk-Webhook-Id": "01HX0000000000000000000000",
    }


def intercom(secret: str, body: bytes, at: float) -> dict[str, str]:
    """Intercom: sha1=hex(HMAC-SHA1(client secret, body)); no timestamp is signed."""
    return {"X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}


def slack(secret: str, body: bytes, at: float) -> dict[str, str]:
    """Slack: v0=hex(HMAC-SHA256(secret, "v0:" + unix seconds + ":" + body))."""
    stamp = str(int(at))
    base = b"v0:" + stamp.encode() + b":" + body
    return {
        "X-Slack-Signature": "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest(),
        "X-Slack-Request-Timestamp": stamp,
    }


SIGNERS = {"zendesk": zendesk, "intercom": intercom, "slack": slack}


def signed(
    platform: str, body: bytes, *, age: float = 0, secret: str | None = None
) -> dict[str, str]:
    """Headers a platform sends with `body`, signed `age` seconds ago (plus Content-Type)."""
    sign = SIGNERS[platform]
    headers = sign(secret or SECRETS[platform], body, time.time() - age)
    return {"Content-Type": "application/json", **headers}


def with_id(body: bytes, platform: str, delivery_id: str) -> bytes:
    """The body with its dedupe id replaced (a new delivery of the same event)."""
    data: dict[str, Any] = json.loads(body)
    data[ID_PATHS[platform]] = delivery_id
    return json.dumps(data).encode()


def in_conversation(body: bytes, platform: str, conversation_id: str) -> bytes:
    """The body moved to another conversation (so its messages are new there)."""
    data: dict[str, Any] = json.loads(body)
    *parents, key = CONVERSATION_PATHS[platform]
    node = data
    for name in parents:
        node = node[name]
    node[key] = conversation_id
    return json.dumps(data).encode()


def without_id(body: bytes, platform: str) -> bytes:
    """The body without its dedupe id."""
    data: dict[str, Any] = json.loads(body)
    del data[ID_PATHS[platform]]
    return json.dumps(data).encode()
