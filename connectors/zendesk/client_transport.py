"""The HTTP transport under the Zendesk client: records requests, fakes dry runs, maps errors.

`RecordingTransport` is a `requests` adapter mounted on the session that zenpy (and the
Sunshine Conversations call) sends through. It records every request as a `SentRequest`
(method, full URL, parsed JSON body; never headers), answers a canned success instead of
opening a socket in dry run, and turns error statuses into `RateLimited` / `PlatformError`
*before* zenpy sees the response. That is what stops zenpy's own 429 handling
(`BaseApi._call_api` sleeps `Retry-After` and retries in a loop): the 429 never reaches
it. The adapter is built with `max_retries=0`, so urllib3 does not retry 5xx either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest, Response
from zenpy.lib.exception import ZenpyException  # type: ignore[import-untyped]

from connectors.actions import SentRequest
from connectors.errors import PlatformError, RateLimited

PLATFORM = "zendesk"
_MAX_MESSAGE = 300
_TICKET_PATH = re.compile(r"/tickets/(\d+)\.json$")


class RecordingTransport(HTTPAdapter):
    """A `requests` adapter that records each request and raises on error statuses.

    With `dry_run` nothing is sent: each request gets a canned 200 answer shaped like
    Zendesk's so that zenpy parses it as usual. Not thread-safe: one client per thread.
    """

    def __init__(self, *, dry_run: bool) -> None:
        super().__init__(max_retries=0)
        self.dry_run = dry_run
        self._sent: list[SentRequest] = []

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        """Record `request`, then answer it (canned in dry run) or raise for its status."""
        sent = as_sent_request(request)
        self._sent.append(sent)
        if self.dry_run:
            return canned_response(request, sent)
        response = super().send(request, *args, **kwargs)
        raise_for_status(response)
        return response

    def take(self) -> tuple[SentRequest, ...]:
        """Return the requests recorded since the last call, and forget them."""
        sent, self._sent = tuple(self._sent), []
        return sent


def as_sent_request(request: PreparedRequest) -> SentRequest:
    """The method, full URL and parsed JSON body of `request` (headers are never kept)."""
    return SentRequest(
        method=request.method or "", url=request.url or "", body=parsed_body(request.body)
    )


def parsed_body(body: Any) -> Any:
    """A request body as JSON data when it is JSON, else as text (None when empty)."""
    if not body:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        return json.loads(text)
    except ValueError:
        return text


def canned_body(url: str, body: Any) -> dict[str, Any]:
    """A minimal successful Zendesk answer for a dry-run request to `url`."""
    path = url.split("?", 1)[0]
    if path.endswith("/tags.json"):
        tags = body.get("tags", []) if isinstance(body, dict) else []
        return {"tags": list(tags)}
    if path.endswith("/comments.json"):
        return {"comments": [], "meta": {"has_more": False}, "links": {"next": None}}
    ticket = _TICKET_PATH.search(path)
    if ticket:
        ticket_id = int(ticket.group(1))
        audit: dict[str, Any] = {"id": None, "ticket_id": ticket_id, "events": []}
        return {"ticket": {"id": ticket_id}, "audit": audit}
    return {}


def canned_response(request: PreparedRequest, sent: SentRequest) -> Response:
    """A 200 JSON response to `request`, built locally (no socket is opened)."""
    response = Response()
    response.status_code = 200
    response.reason = "OK"
    response.url = sent.url
    response.request = request
    response.encoding = "utf-8"
    response.headers["Content-Type"] = "application/json"
    response._content = json.dumps(canned_body(sent.url, sent.body)).encode()
    return response


def raise_for_status(response: Response) -> None:
    """Raise `RateLimited` on 429 and `PlatformError` on any other non-2xx/3xx status."""
    status = response.status_code
    if status < 400:
        return
    if status == 429:
        raise RateLimited(PLATFORM, retry_after=retry_after(response))
    if status >= 500:
        message = f"server error: {error_text(response)}"
        raise PlatformError(PLATFORM, message, status=status, retryable=True)
    raise PlatformError(PLATFORM, error_text(response), status=status, retryable=False)


def retry_after(response: Response) -> float | None:
    """The `Retry-After` header in seconds, or None when absent or not a number."""
    value = response.headers.get("Retry-After")
    try:
        return None if value is None else max(float(value), 0.0)
    except ValueError:
        return None


def error_text(response: Response) -> str:
    """Zendesk's (or Sunshine's) own error and description from an error response body."""
    try:
        data = response.json()
    except ValueError:
        data = None
    text = _described(data) if isinstance(data, dict) else ""
    if not text:
        text = response.text.strip() or response.reason or "request failed"
    return text[:_MAX_MESSAGE]


def _described(data: dict[str, Any]) -> str:
    """Join the error fields Zendesk and Sunshine Conversations put in error bodies."""
    parts: list[str] = []
    error = data.get("error")
    if isinstance(error, dict):
        parts += [str(error[key]) for key in ("title", "message") if error.get(key)]
    elif error:
        parts.append(str(error))
    if data.get("description"):
        parts.append(str(data["description"]))
    parts += _detail_descriptions(data.get("details"))
    for item in data.get("errors") or ():
        if isinstance(item, dict):
            parts.append(str(item.get("title") or item.get("code") or item))
    return ": ".join(parts)


def _detail_descriptions(details: Any) -> list[str]:
    """The `description`s of a 422 body's `details` ({field: [{description}]})."""
    if not isinstance(details, dict):
        return []
    found = []
    for items in details.values():
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and item.get("description"):
                found.append(str(item["description"]))
    return found


MALFORMED_REQUEST: tuple[type[requests.RequestException], ...] = (
    requests.exceptions.URLRequired,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidJSONError,
    requests.exceptions.TooManyRedirects,
    requests.exceptions.UnrewindableBodyError,
)
"""`requests` failures that sending again cannot fix (the request itself is wrong).

`InvalidJSONError` here means a request body that is not JSON-serialisable; its subclass
`JSONDecodeError` (an unreadable answer) is retryable, like every other failure."""


@contextmanager
def translated_errors(timeout: float) -> Iterator[None]:
    """Turn `requests` and zenpy failures raised inside the block into `PlatformError`.

    Timeouts, connection errors and answers cut off or unreadable (`ChunkedEncodingError`,
    `ContentDecodingError`, `JSONDecodeError`...) are retryable: the request may or may not
    have been applied, and the outbox checks `find_marker` for notes and replies before
    posting again. A malformed request (`MALFORMED_REQUEST`) and zenpy's own refusals are
    not.
    """
    try:
        yield
    except requests.Timeout as exc:
        message = f"request timeout: no answer within {timeout:g}s ({type(exc).__name__})"
        raise PlatformError(PLATFORM, message, retryable=True) from exc
    except requests.ConnectionError as exc:
        message = f"connection failed or timeout before an answer ({type(exc).__name__})"
        raise PlatformError(PLATFORM, message, retryable=True) from exc
    except requests.exceptions.JSONDecodeError as exc:
        message = f"unreadable answer, the change may have been applied ({type(exc).__name__})"
        raise PlatformError(PLATFORM, message, retryable=True) from exc
    except MALFORMED_REQUEST as exc:
        message = f"malformed request ({type(exc).__name__}: {exc})"
        raise PlatformError(PLATFORM, message[:_MAX_MESSAGE], retryable=False) from exc
    except requests.RequestException as exc:
        message = f"answer cut off, the change may have been applied ({type(exc).__name__})"
        raise PlatformError(PLATFORM, message, retryable=True) from exc
    except ZenpyException as exc:
        message = f"unexpected answer ({type(exc).__name__})"
        raise PlatformError(PLATFORM, message, retryable=False) from exc
