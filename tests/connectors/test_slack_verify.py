from __future__ import annotations

import hashlib
import hmac

import pytest

from connectors.slack.verify import verify
from tests.connectors.connector_fixtures import raw_fixture, rejection_reason

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TIMESTAMP = "1531420618"
NOW = float(TIMESTAMP)
BODY = raw_fixture("slack", "message.channels")


def signed(body: bytes, secret: str = SECRET, timestamp: str = TIMESTAMP) -> dict[str, str]:
    """Headers as Slack sends them, signed independently of the code under test."""
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": timestamp}


def reason(headers: dict[str, str], body: bytes = BODY, now: float = NOW) -> str:
    return rejection_reason(lambda: verify(SECRET, headers, body, now=now), SECRET)


def test_platforms_md_vector_verifies() -> None:
    body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J"
    headers = {
        "X-Slack-Signature": "v0=bca5eef5dd737ed259b428b18cd24f679baa18c3fc5f1cb2a6ac9f03e717969a",
        "X-Slack-Request-Timestamp": TIMESTAMP,
    }
    verify(SECRET, headers, body, now=NOW)


@pytest.mark.parametrize("offset", [0, 300, -300])
def test_good_signature_on_a_recorded_body_verifies_inside_the_window(offset: int) -> None:
    verify(SECRET, signed(BODY), BODY, now=NOW + offset)


def test_headers_are_case_insensitive() -> None:
    headers = {name.lower(): value for name, value in signed(BODY).items()}
    verify(SECRET, headers, BODY, now=NOW)


def test_tampered_body_is_a_mismatch() -> None:
    assert reason(signed(BODY), BODY.replace(b"T0AB1CD2E", b"T0EVIL000")) == "mismatch"


def test_wrong_secret_is_a_mismatch() -> None:
    assert reason(signed(BODY, secret="0" * 32)) == "mismatch"


@pytest.mark.parametrize("offset", [301, -301])
def test_stale_timestamp(offset: int) -> None:
    assert reason(signed(BODY), now=NOW + offset) == "stale"


@pytest.mark.parametrize("missing", ["X-Slack-Signature", "X-Slack-Request-Timestamp"])
def test_missing_headers(missing: str) -> None:
    headers = signed(BODY)
    del headers[missing]
    assert reason(headers) == "missing"


@pytest.mark.parametrize("timestamp", ["1531420618.5", "-1531420618", "soon"])
def test_timestamp_that_is_not_unix_seconds_is_malformed(timestamp: str) -> None:
    assert reason(signed(BODY, timestamp=timestamp)) == "malformed"


def test_non_utf8_body_and_non_ascii_signature_are_mismatches_not_crashes() -> None:
    body = b"\xff\xfe not utf-8"
    assert reason(signed(body), body) == "mismatch"
    headers = signed(BODY)
    headers["X-Slack-Signature"] = "v0=ünïcode"
    assert reason(headers) == "mismatch"


def test_empty_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        verify("", signed(BODY), BODY, now=NOW)
