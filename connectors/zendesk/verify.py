"""Zendesk webhook signatures: base64(HMAC-SHA256(secret, timestamp + raw body)).

The signing secret is used as the text Zendesk shows (its UTF-8 bytes), never
base64-decoded. Zendesk gives no replay window; Handoff rejects timestamps more than
`MAX_AGE_SECONDS` away from now, like Slack does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import datetime

from connectors.errors import SignatureInvalid
from connectors.headers import required_header

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
MAX_AGE_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature Zendesk sends for `body` at `timestamp` (for tests and demos)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _timestamp_seconds(timestamp: str) -> float:
    """Return the epoch seconds of an ISO-8601 signature timestamp."""
    try:
        parsed = datetime.fromisoformat(timestamp)
    except ValueError:
        raise SignatureInvalid("malformed", f"{TIMESTAMP_HEADER} is not ISO-8601") from None
    if parsed.tzinfo is None:
        raise SignatureInvalid("malformed", f"{TIMESTAMP_HEADER} has no UTC offset")
    return parsed.timestamp()


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> None:
    """Raise `SignatureInvalid` unless `body` carries a fresh, valid Zendesk signature.

    `headers` is looked up case-insensitively; `now` (epoch seconds) defaults to the clock.
    """
    if not secret:
        raise ValueError("Zendesk signing secret is empty")
    signature = required_header(headers, SIGNATURE_HEADER)
    timestamp = required_header(headers, TIMESTAMP_HEADER)
    current = time.time() if now is None else now
    if abs(current - _timestamp_seconds(timestamp)) > MAX_AGE_SECONDS:
        raise SignatureInvalid("stale", f"{TIMESTAMP_HEADER} is more than 5 minutes off")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise SignatureInvalid("mismatch", "signature does not match the body")
