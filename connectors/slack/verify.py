"""Slack request signatures (v0), checked by slack-sdk's `SignatureVerifier`.

Base string `v0:<timestamp>:<raw body>`, HMAC-SHA256 with the app's signing secret,
requests older or newer than 5 minutes rejected. The checks before the SDK call only
exist to give a precise reason; the SDK makes the decision.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from slack_sdk.signature import Clock, SignatureVerifier

from connectors.errors import SignatureInvalid
from connectors.headers import required_header

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
MAX_AGE_SECONDS = 300


class _FixedClock(Clock):
    """A clock that always answers the same time (the injected `now`)."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        """Return the fixed time, in epoch seconds."""
        return self._now


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the `X-Slack-Signature` value Slack sends for `body` at `timestamp`."""
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    if signature is None:  # the SDK returns None only for a missing timestamp
        raise ValueError("timestamp is required")
    return signature


def _check_headers(headers: Mapping[str, str], now: float) -> tuple[str, str]:
    """Return the signature and timestamp headers, checked present, well-formed, fresh."""
    signature = required_header(headers, SIGNATURE_HEADER)
    timestamp = required_header(headers, TIMESTAMP_HEADER)
    if not timestamp.isascii() or not timestamp.isdigit():
        raise SignatureInvalid("malformed", f"{TIMESTAMP_HEADER} is not Unix seconds")
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise SignatureInvalid("stale", f"{TIMESTAMP_HEADER} is more than 5 minutes off")
    return signature, timestamp


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> None:
    """Raise `SignatureInvalid` unless `body` carries a fresh, valid Slack signature."""
    if not secret:
        raise ValueError("Slack signing secret is empty")
    current = time.time() if now is None else now
    signature, timestamp = _check_headers(headers, current)
    verifier = SignatureVerifier(secret, clock=_FixedClock(current))
    try:
        valid = verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except (UnicodeDecodeError, TypeError):  # body not UTF-8, or non-ASCII signature
        valid = False
    if not valid:
        raise SignatureInvalid("mismatch", "signature does not match the body")
