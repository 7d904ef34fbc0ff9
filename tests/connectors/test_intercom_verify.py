from __future__ import annotations

import hashlib
import hmac

import pytest

from connectors.intercom.verify import verify
from tests.connectors.connector_fixtures import raw_fixture, rejection_reason

SECRET = "client_secret_example"
BODY = raw_fixture("intercom", "conversation.user.replied")


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    """Headers as Intercom sends them, signed independently of the code under test."""
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return {"X-Hub-Signature": f"sha1={digest}", "User-Agent": "intercom-parrot-service-client/1.0"}


def reason(headers: dict[str, str], body: bytes = BODY) -> str:
    return rejection_reason(lambda: verify(SECRET, headers, body), SECRET)


def test_platforms_md_vector_verifies() -> None:
    body = b'{"type":"notification_event","topic":"ping"}'
    headers = {"X-Hub-Signature": "sha1=91ddb6380d25420ae1efc81f0b9430c9fc18f39e"}
    verify(SECRET, headers, body)


def test_good_signature_verifies_whatever_the_time() -> None:
    verify(SECRET, signed(BODY), BODY, now=0.0)  # no timestamp is signed: no window


def test_header_name_and_hex_case_do_not_matter() -> None:
    value = signed(BODY)["X-Hub-Signature"]
    verify(SECRET, {"x-hub-signature": value.upper().replace("SHA1=", "sha1=")}, BODY)


def test_tampered_body_is_a_mismatch() -> None:
    assert reason(signed(BODY), BODY.replace(b"real person", b"bot")) == "mismatch"


def test_wrong_secret_is_a_mismatch() -> None:
    assert reason(signed(BODY, secret="other")) == "mismatch"


def test_missing_header() -> None:
    assert reason({"User-Agent": "intercom-parrot-service-client/1.0"}) == "missing"


@pytest.mark.parametrize("value", ["91ddb6380d25420ae1efc81f0b9430c9fc18f39e", "sha256=abc"])
def test_signature_without_the_sha1_prefix_is_malformed(value: str) -> None:
    assert reason({"X-Hub-Signature": value}) == "malformed"


def test_empty_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        verify("", signed(BODY), BODY)
