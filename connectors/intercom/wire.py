"""What the Intercom client puts on the wire: HTML bodies, recording, dry run, errors.

Every request the SDK sends goes through one `httpx.Client` whose request hook copies it
into the current recording (method, full URL, parsed JSON body; never headers). In dry run
that client's transport is an `httpx.MockTransport` answering canned success JSON that
the SDK parses like a real answer, so no socket is ever opened. `translate_errors` turns
the SDK's `ApiError` and httpx failures into `RateLimited` / `PlatformError`.
"""

from __future__ import annotations

import email.utils
import html
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx
from intercom.core.api_error import ApiError
from pydantic import BaseModel

from connectors.actions import SentRequest
from connectors.errors import PlatformError, RateLimited
from connectors.headers import get_header
from connectors.model import Platform
from connectors.text import to_plain_text

PLATFORM = Platform.INTERCOM.value
DRY_RUN_ID = "dry-run"
MARKER_PREFIX = "handoff-ref: "

_SENT: ContextVar[list[SentRequest] | None] = ContextVar("intercom_sent", default=None)


def request_body(request: httpx.Request) -> Any:
    """Return a request's body parsed as JSON (None when empty, the text if not JSON)."""
    raw = request.content
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def record_request(request: httpx.Request) -> None:
    """Request hook for httpx: add `request` to the current recording, if one is open."""
    sent = _SENT.get()
    if sent is not None:
        sent.append(SentRequest(request.method, str(request.url), request_body(request)))


@contextmanager
def recording() -> Iterator[list[SentRequest]]:
    """Collect the requests sent by this thread (context) while the block runs."""
    sent: list[SentRequest] = []
    token = _SENT.set(sent)
    try:
        yield sent
    finally:
        _SENT.reset(token)


def dry_run_answer(request: httpx.Request) -> httpx.Response:
    """Answer a request the way Intercom would on success, with the least the SDK parses.

    `/tags` and `/conversations/{id}/tags` get a Tag; anything else under
    `/conversations/{id}` gets an empty Conversation (so `find_marker` finds nothing).
    """
    segments = [s for s in request.url.path.split("/") if s]
    body = request_body(request)
    fields = body if isinstance(body, Mapping) else {}
    if segments and segments[-1] == "tags":
        tag_id = str(fields.get("id") or DRY_RUN_ID)
        return httpx.Response(
            200, json={"type": "tag", "id": tag_id, "name": fields.get("name", tag_id)}
        )
    conversation_id = _after(segments, "conversations") or DRY_RUN_ID
    return httpx.Response(200, json={"type": "conversation", "id": conversation_id})


def _after(segments: list[str], name: str) -> str | None:
    """Return the path segment that follows `name`, if any."""
    for index, segment in enumerate(segments[:-1]):
        if segment == name:
            return segments[index + 1]
    return None


MALFORMED_REQUEST: tuple[type[Exception], ...] = (
    httpx.InvalidURL,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.TooManyRedirects,
)
"""httpx failures that sending again cannot fix (the request or the base URL is wrong)."""


@contextmanager
def translate_errors(clock: Callable[[], float]) -> Iterator[None]:
    """Turn SDK and httpx failures raised in the block into `RateLimited` / `PlatformError`.

    429 → `RateLimited`; 5xx, timeouts, transport errors and answers cut off or unreadable
    (`RemoteProtocolError`, `DecodingError`, a 2xx the SDK cannot parse) → retryable
    `PlatformError` (the change may have been applied: the outbox checks `find_marker`
    before posting a note or reply again); a malformed request (`MALFORMED_REQUEST`) or
    any other status → non-retryable `PlatformError` carrying Intercom's error message.
    """
    try:
        yield
    except ApiError as exc:
        raise api_error(exc, clock) from exc
    except httpx.TimeoutException as exc:
        raise PlatformError(PLATFORM, f"timeout: {type(exc).__name__}", retryable=True) from exc
    except MALFORMED_REQUEST as exc:
        message = f"malformed request: {type(exc).__name__}: {exc}"
        raise PlatformError(PLATFORM, message[:300], retryable=False) from exc
    except (httpx.TransportError, httpx.DecodingError) as exc:
        message = f"transport error: {type(exc).__name__}: {exc}"
        raise PlatformError(PLATFORM, message, retryable=True) from exc


def api_error(exc: ApiError, clock: Callable[[], float]) -> RateLimited | PlatformError:
    """Map one SDK `ApiError` (or subclass) to the connector error the outbox expects."""
    status = exc.status_code
    if status == 429:
        return RateLimited(PLATFORM, retry_after=retry_after(exc.headers or {}, clock()))
    message = error_message(exc.body)
    if status is not None and 200 <= status < 300:  # the SDK could not parse the answer
        message = f"unreadable answer, the change may have been applied: {message}"
        return PlatformError(PLATFORM, message[:300], status=status, retryable=True)
    if status is not None and status >= 500:
        return PlatformError(PLATFORM, message, status=status, retryable=True)
    return PlatformError(PLATFORM, message, status=status, retryable=False)


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or HTTP date), else `X-RateLimit-Reset`."""
    value = get_header(headers, "Retry-After")
    if value is not None:
        return _retry_after_value(value, now)
    reset = get_header(headers, "X-RateLimit-Reset")
    if reset is None:
        return None
    try:
        return max(0.0, float(reset) - now)
    except ValueError:
        return None


def _retry_after_value(value: str, now: float) -> float | None:
    """Parse a `Retry-After` value: delay seconds or an HTTP date."""
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def error_message(body: Any) -> str:
    """Return Intercom's first error (`code: message`) from an `error.list` body."""
    if isinstance(body, BaseModel):
        body = body.model_dump()
    errors = body.get("errors") if isinstance(body, Mapping) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    if isinstance(first, Mapping):
        code, message = first.get("code"), first.get("message")
        return ": ".join(str(part) for part in (code, message) if part) or "error"
    text = str(body or "").strip()
    return text[:300] if text else "error without a body"


def note_html(text: str, links: Mapping[str, str] | None = None, marker: str = "") -> str:
    """Build an Intercom HTML body: one `<p>` per non-blank line of `text`, escaped.

    Each link becomes `<p>label: <a href="url">url</a></p>`; a non-empty `marker` ends
    the body as `<p>handoff-ref: MARKER</p>` so `find_marker` can find the note again.
    """
    lines = [_paragraph(line) for line in text.splitlines() if line.strip()]
    lines += [_link_paragraph(label, url) for label, url in (links or {}).items()]
    if marker:
        lines.append(_paragraph(MARKER_PREFIX + marker))
    return "".join(lines)


def _paragraph(line: str) -> str:
    """Return one escaped line as a paragraph."""
    return f"<p>{html.escape(line.strip(), quote=False)}</p>"


def _link_paragraph(label: str, url: str) -> str:
    """Return `label: url` as a paragraph with a link."""
    shown, href = html.escape(url, quote=False), html.escape(url, quote=True)
    return f'<p>{html.escape(label, quote=False)}: <a href="{href}">{shown}</a></p>'


def same_text(a: str, b: str) -> bool:
    """Tell whether two texts read the same once HTML and whitespace are normalised."""
    return " ".join(to_plain_text(a).split()) == " ".join(to_plain_text(b).split())
