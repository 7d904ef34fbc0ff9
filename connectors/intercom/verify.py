"""Intercom webhook signatures: `X-Hub-Signature: sha1=<hex HMAC-SHA1(client_secret, body)>`.

Intercom signs no timestamp, so there is no replay window: intake dedupes on the
notification id instead.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from connectors.errors import SignatureInvalid
from connectors.headers import required_header

SIGNATURE_HEADER = "X-Hub-Signature"
_PREFIX = "sha1="


def sign(client_secret: str, body: bytes) -> str:
    """Return the `X-Hub-Signature` value Intercom sends for `body`."""
    return _PREFIX + hmac.new(client_secret.encode(), body, hashlib.sha1).hexdigest()


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> None:
    """Raise `SignatureInvalid` unless `body` carries a valid Intercom signature.

    `secret` is the app's client secret. `now` is accepted for a uniform interface and
    unused: Intercom signs no timestamp.
    """
    if not secret:
        raise ValueError("Intercom client secret is empty")
    signature = required_header(headers, SIGNATURE_HEADER)
    if not signature.lower().startswith(_PREFIX):
        raise SignatureInvalid("malformed", f"{SIGNATURE_HEADER} does not start with sha1=")
    expected = sign(secret, body)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        raise SignatureInvalid("mismatch", "signature does not match the body")
