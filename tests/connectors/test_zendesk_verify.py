from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

import pytest

from connectors.errors import SignatureInvalid
from connectors.zendesk.verify import verify
from tests.connectors.connector_fixtures import raw_fixture, rejection_reason

SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
TIMESTAMP = "2024-05-01T12:00:00Z"
NOW = datetime.fromisoformat(TIMESTAMP).timestamp()
BODY = raw_fixture("zendesk", "ticket.comment_added")


def signed(body: bytes, secret: str = SECRET, timestamp: str = TIMESTAMP) -> dict[str, str]:
    """Headers as Zendesk sends them, signed independently of the code under test."""
    mac = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return {
        "X-Zendesk-Webhook-Signature": base64.b64encode(mac).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "X-Zendesk-Webhook-Invocation-Id": "8350205582",
    }


def reason(headers: dict[str, str], body: bytes = BODY, now: float = NOW) -> str:
    return rejection_reason(lambda: verify(SECRET, headers, body, now=now), SECRET)


def test_platforms_md_vector_verifies() -> None:
    body = b'{"type":"zen:event-type:ticket.comment_added","id":"x"}'
    headers = {
        "X-Zendesk-Webhook-Signature": "KMo7agnP2kmHkEe59otyQTLKOE5s+nKxr+HOH1JL5kw=",
        "X-Zendesk-Webhook-Signature-Timestamp": TIMESTAMP,
    }
    verify(SECRET, headers, body, now=NOW)


def test_old_docs_body_then_timestamp_vector_is_rejected() -> None:
    """The older doc example signs BODY+TIMESTAMP; Handoff implements TIMESTAMP+BODY."""
    timestamp = "2021-07-25T10:00:00Z"
    headers = {
        "X-Zendesk-Webhook-Signature": "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw=",
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
    }
    now = datetime.fromisoformat(timestamp).timestamp()
    with pytest.raises(SignatureInvalid, match="mismatch"):
        verify(
            "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=", headers, b'{"say": "hello"}', now=now
        )


def test_good_signature_on_a_recorded_body_verifies() -> None:
    verify(SECRET, signed(BODY), BODY, now=NOW + 299)


def test_headers_are_case_insensitive() -> None:
    headers = {name.lower(): value for name, value in signed(BODY).items()}
    verify(SECRET, headers, BODY, now=NOW)


def test_tampered_body_is_a_mismatch() -> None:
    assert reason(signed(BODY), BODY.replace(b"Menschen", b"Roboter")) == "mismatch"


def test_wrong_secret_is_a_mismatch() -> None:
    assert reason(signed(BODY, secret="another-secret")) == "mismatch"


def test_signature_over_another_timestamp_is_a_mismatch() -> None:
    headers = signed(BODY, timestamp="2024-05-01T12:00:01Z")
    headers["X-Zendesk-Webhook-Signature-Timestamp"] = TIMESTAMP
    assert reason(headers) == "mismatch"


@pytest.mark.parametrize("offset", [301, -301, 86_400])
def test_timestamps_more_than_five_minutes_off_are_stale(offset: int) -> None:
    assert reason(signed(BODY), now=NOW + offset) == "stale"


@pytest.mark.parametrize(
    "missing", ["X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp"]
)
def test_missing_headers(missing: str) -> None:
    headers = signed(BODY)
    del headers[missing]
    assert reason(headers) == "missing"


@pytest.mark.parametrize("timestamp", ["yesterday", "2024-05-01T12:00:00", ""])
def test_unreadable_or_naive_timestamp(timestamp: str) -> None:
    headers = signed(BODY, timestamp=timestamp)
    assert reason(headers) == ("missing" if not timestamp else "malformed")


def test_non_ascii_signature_is_a_mismatch_not_a_crash() -> None:
    headers = signed(BODY)
    headers["X-Zendesk-Webhook-Signature"] = "ünïcode"
    assert reason(headers) == "mismatch"


def test_empty_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        verify("", signed(BODY), BODY, now=NOW)
