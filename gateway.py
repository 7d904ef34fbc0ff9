"""Webhook intake rules, free of any web framework: which answer each request gets.

`app.py` reads the request and calls these functions in the order of the request path:
the workspace and platform (`inbound_for`, 404), the declared body size (`too_large`,
413), the secret (`secret_unset`, 503), the body itself (`read_body`: at most one byte
past the limit, so a chunked body of unknown length is 413 too), then `screen()`:
signature over the raw bytes (401), JSON (400), handshakes (Slack `url_verification`,
Intercom `ping`: answered, not stored), event type (not handled: 200, ignored) and
dedupe id (400). Only an `Accept` is stored.
It also lists the served webhook URLs (`endpoints`) and signs example requests like the
platforms do (`signature_headers`, for `handoff webhook-example` and the benchmark).
Nothing here does I/O, so every rule is tested without an app, a database or a network.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.errors import PayloadInvalid, SignatureInvalid
from connectors.intercom import normalize as intercom_normalize
from connectors.intercom import verify as intercom_verify
from connectors.model import Platform
from connectors.slack import normalize as slack_normalize
from connectors.slack import verify as slack_verify
from connectors.zendesk import normalize as zendesk_normalize
from connectors.zendesk import verify as zendesk_verify
from handover.workspaces import UnknownWorkspace, Workspaces

NOT_FOUND = {"error": "not found"}
"""The one 404 body: unknown workspace, platform or path look the same."""
READ_CHUNK = 65_536
"""Bytes asked of the input stream at once while reading a body of unknown length."""


class Readable(Protocol):
    """A binary input stream (the WSGI input); `read` may return fewer bytes than asked."""

    def read(self, size: int = -1, /) -> bytes:
        """Return up to `size` bytes; b"" at the end of the stream."""


class Verifier(Protocol):
    """A connector's signature check: raises `SignatureInvalid`, returns nothing."""

    def __call__(
        self, secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> None:
        """Check `body` against the signature headers."""


@dataclass(frozen=True)
class Inbound:
    """What intake needs from one platform's connector."""

    platform: Platform
    verify: Verifier
    event_type: Callable[[Mapping[str, Any]], str]
    delivery_id: Callable[[Mapping[str, str], Mapping[str, Any]], str]
    handled: frozenset[str]


INBOUND: dict[str, Inbound] = {
    Platform.ZENDESK.value: Inbound(
        Platform.ZENDESK,
        zendesk_verify.verify,
        zendesk_normalize.event_type,
        zendesk_normalize.delivery_id,
        zendesk_normalize.HANDLED_EVENTS,
    ),
    Platform.INTERCOM.value: Inbound(
        Platform.INTERCOM,
        intercom_verify.verify,
        intercom_normalize.event_type,
        intercom_normalize.delivery_id,
        intercom_normalize.HANDLED_EVENTS,
    ),
    Platform.SLACK.value: Inbound(
        Platform.SLACK,
        slack_verify.verify,
        slack_normalize.event_type,
        slack_normalize.delivery_id,
        slack_normalize.HANDLED_EVENTS,
    ),
}


@dataclass(frozen=True)
class Answer:
    """An HTTP answer given without storing anything; `log` names what happened."""

    status: int
    body: dict[str, str]
    log: str
    fields: dict[str, str] = field(default_factory=dict)
    """Extra log fields: reasons, types, secret NAMES; never bodies or secret values."""


@dataclass(frozen=True)
class Accept:
    """A verified, handled event to store: its type and dedupe key."""

    event_type: str
    delivery_id: str


def inbound_for(platform: str) -> Inbound | None:
    """Return the intake rules of a platform named in the URL; None when unknown."""
    return INBOUND.get(platform)


def not_found(log: str = "webhook.not_found", **fields: str) -> Answer:
    """404 with the same body whatever was not found (lists no workspace)."""
    return Answer(404, NOT_FOUND, log, fields)


def too_large(length: int | None, limit: int) -> Answer | None:
    """413 when a declared or actual body length is over `limit` bytes, else None."""
    if length is None or length <= limit:
        return None
    return body_too_large(limit)


def read_body(stream: Readable, content_length: int | None, limit: int) -> bytes | Answer:
    """Return the raw body, or 413 when it is (or is declared) over `limit` bytes.

    A declared length is read exactly. A body of unknown length (chunked transfer
    encoding, terminated by the server) is read up to `limit + 1` bytes: one byte past
    the limit tells a body of exactly `limit` bytes from a longer one, which is refused
    before any of it is verified or parsed (the rest is never read).
    """
    declared = too_large(content_length, limit)
    if declared is not None:
        return declared
    raw = _read_up_to(stream, limit + 1 if content_length is None else content_length)
    return too_large(len(raw), limit) or raw


def _read_up_to(stream: Readable, size: int) -> bytes:
    """Read until `size` bytes or the end of the stream, whichever comes first."""
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(remaining, READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def body_too_large(limit: int) -> Answer:
    """413: the body is over `limit` bytes (nothing was stored)."""
    return Answer(413, {"error": "body too large"}, "webhook.too_large", {"limit": str(limit)})


def secret_unset(secret_name: str) -> Answer:
    """503 when the workspace names a secret that is not set; the log names it (no value)."""
    body = {"error": "webhook secret not configured"}
    return Answer(503, body, "webhook.secret_unset", {"secret": secret_name})


def screen(
    inbound: Inbound, secret: str, headers: Mapping[str, str], raw: bytes, now: float | None = None
) -> Answer | Accept:
    """Decide a signed webhook request: an `Answer` (nothing stored) or an `Accept`.

    The signature is checked over `raw` before anything is parsed; `now` (epoch seconds)
    defaults to the clock.
    """
    try:
        inbound.verify(secret, headers, raw, now=now)
    except SignatureInvalid as exc:
        return _unauthorized(exc)
    body = parse_object(raw)
    if body is None:
        return _bad_request("body is not a JSON object")
    handshake = _handshake(inbound.platform, body)
    if handshake is not None:
        return handshake
    return _classify(inbound, headers, body)


def parse_object(raw: bytes) -> dict[str, Any] | None:
    """Return the body parsed as a JSON object; None when it is not one."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, absurd nesting
        return None
    return body if isinstance(body, dict) else None


def _handshake(platform: Platform, body: Mapping[str, Any]) -> Answer | None:
    """Answer Slack's `url_verification` and Intercom's `ping`; None for real events."""
    if platform is Platform.SLACK and body.get("type") == "url_verification":
        challenge = body.get("challenge")
        if not isinstance(challenge, str) or not challenge:
            return _bad_request("url_verification without a challenge")
        return Answer(200, {"challenge": challenge}, "webhook.url_verification")
    if platform is Platform.INTERCOM and body.get("topic") == "ping":
        return Answer(200, {"status": "pong"}, "webhook.ping")
    return None


def _classify(
    inbound: Inbound, headers: Mapping[str, str], body: Mapping[str, Any]
) -> Answer | Accept:
    """Ignore unhandled event types; find the dedupe id of handled ones."""
    try:
        event_type = inbound.event_type(body)
    except PayloadInvalid as exc:
        return _bad_request(f"no event type: {exc}")
    if event_type not in inbound.handled:
        return Answer(200, {"status": "ignored"}, "webhook.ignored", {"event_type": event_type})
    try:
        delivery_id = inbound.delivery_id(headers, body)
    except PayloadInvalid as exc:
        return _bad_request(f"no delivery id: {exc}")
    return Accept(event_type, delivery_id)


def _unauthorized(exc: SignatureInvalid) -> Answer:
    """401 naming which check failed (`missing`, `malformed`, `stale`, `mismatch`)."""
    fields = {"reason": exc.reason, "detail": exc.detail}
    return Answer(
        401, {"error": "invalid signature", "reason": exc.reason}, "webhook.unauthorized", fields
    )


def _bad_request(reason: str) -> Answer:
    """400 with a short reason (JSON paths only, never payload values)."""
    body = {"error": "bad request", "reason": reason}
    return Answer(400, body, "webhook.bad_request", {"reason": reason})


def extra_headers(platform: str, status: int) -> dict[str, str]:
    """Headers added to an answer: Slack is told not to retry requests it can never pass.

    Not on 401: a secret being rotated must not lose Slack's retries for good.
    """
    if platform == Platform.SLACK.value and status in (400, 413):
        return {"X-Slack-No-Retry": "1"}
    return {}


@dataclass(frozen=True)
class Endpoint:
    """One webhook URL Handoff serves, and the NAME of the secret that signs its requests."""

    workspace: str
    platform: str
    secret_name: str
    url: str


def endpoints(workspaces: Workspaces, base_url: str) -> list[Endpoint]:
    """Every served workspace's webhook URL per configured platform, in a stable order."""
    found = []
    for name in workspaces.names():
        for platform in INBOUND:
            try:
                secret_name = workspaces.platform(name, platform).webhook_secret
            except UnknownWorkspace:
                continue
            url = f"{base_url.rstrip('/')}/webhooks/{platform}/{name}"
            found.append(Endpoint(name, platform, secret_name, url))
    return found


def signature_headers(platform: str, secret: str, body: bytes, now: float) -> dict[str, str]:
    """The signature headers a platform sends with `body` at `now` (for demos and benches)."""
    if platform == Platform.ZENDESK.value:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        signature = zendesk_verify.sign(secret, stamp, body)
        return {zendesk_verify.SIGNATURE_HEADER: signature, zendesk_verify.TIMESTAMP_HEADER: stamp}
    if platform == Platform.INTERCOM.value:
        return {intercom_verify.SIGNATURE_HEADER: intercom_verify.sign(secret, body)}
    stamp = str(int(now))
    signature = slack_verify.sign(secret, stamp, body)
    return {slack_verify.SIGNATURE_HEADER: signature, slack_verify.TIMESTAMP_HEADER: stamp}
