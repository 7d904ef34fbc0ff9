"""The Slack SDK's `WebClient` as `SlackClient` drives it: recorded, dry-run, errors mapped.

`RecordingWebClient` records every request it sends (never headers, never the token) and,
in dry run, answers `dry_run_answer`'s canned success without opening a socket, so the
same SDK code path runs. `map_api_error` and `map_network_error` translate the SDK's and
the network's failures into the connector error tree.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from connectors.actions import SentRequest
from connectors.errors import ConnectorError, PlatformError, RateLimited
from connectors.headers import get_header

DRY_RUN_TS = "0000000000.000001"
RETRYABLE_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
"""Slack error codes answered with HTTP 200 that are worth another try."""


def _api_method(url: str) -> str:
    """Return the Web API method name at the end of a request URL."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _request_body(args: Mapping[str, Any]) -> dict[str, Any]:
    """Return the body the SDK is about to send: its JSON, or its form fields (no token)."""
    if args.get("json"):
        return dict(copy.deepcopy(args["json"]))
    params = dict(args.get("params") or {})
    params.pop("token", None)
    return params


def dry_run_answer(url: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Return the canned success a dry-run transport answers for a request."""
    method = _api_method(url)
    channel = str(body.get("channel", "C0000000000"))
    if method == "chat.postMessage":
        return {"ok": True, "channel": channel, "ts": DRY_RUN_TS, "message": {"ts": DRY_RUN_TS}}
    if method == "chat.getPermalink":
        stamp = str(body.get("message_ts", DRY_RUN_TS)).replace(".", "")
        link = f"https://example.slack.com/archives/{channel}/p{stamp}"
        return {"ok": True, "channel": channel, "permalink": link}
    if method == "usergroups.users.list":
        return {"ok": True, "users": []}
    if method in {"conversations.history", "conversations.replies"}:
        return {"ok": True, "messages": [], "has_more": False}
    return {"ok": True}


class RecordingWebClient(WebClient):
    """A `WebClient` that records each request it sends and, in dry run, sends none."""

    def __init__(self, *, dry_run: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dry_run = dry_run
        self._local = threading.local()

    @contextmanager
    def recording(self) -> Iterator[list[SentRequest]]:
        """Collect the requests sent by this thread inside the block."""
        sent: list[SentRequest] = []
        self._local.sent = sent
        try:
            yield sent
        finally:
            self._local.sent = None

    def _perform_urllib_http_request(
        self, *, url: str, args: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        """Record the request, then send it (or answer a canned success in dry run)."""
        body = _request_body(args)
        sent: list[SentRequest] | None = getattr(self._local, "sent", None)
        if sent is not None:
            sent.append(SentRequest(method="POST", url=url, body=body))
        if self.dry_run:
            answer = json.dumps(dry_run_answer(url, body))
            return {"status": 200, "headers": {"content-type": "application/json"}, "body": answer}
        return super()._perform_urllib_http_request(url=url, args=args)


def error_code(response: SlackResponse) -> str:
    """Return Slack's error code from a failed response (clipped; never the body itself)."""
    data = response.data
    code = data.get("error") if isinstance(data, dict) else None
    return str(code)[:200] if code else "unknown_error"


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    """Return the Retry-After header in seconds; None when absent or not a number."""
    value = get_header({str(k): str(v) for k, v in headers.items()}, "Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None


def map_api_error(err: SlackApiError) -> ConnectorError:
    """Translate a `SlackApiError` into `RateLimited` or a (non-)retryable `PlatformError`."""
    response: SlackResponse = err.response
    status = int(response.status_code)
    code = error_code(response)
    method = _api_method(str(response.api_url))
    if status == 429 or code == "ratelimited":
        return RateLimited("slack", retry_after=_retry_after(response.headers))
    retryable = status >= 500 or code in RETRYABLE_ERRORS
    return PlatformError("slack", f"{method}: {code}", status=status, retryable=retryable)


def map_network_error(err: Exception, timeout: float) -> PlatformError:
    """Translate a timeout or connection failure into a retryable `PlatformError`."""
    reason = err.reason if isinstance(err, URLError) else err
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        message = f"timeout: no answer within {timeout:g}s"
    else:
        message = f"network error: {reason}"
    return PlatformError("slack", message, status=None, retryable=True)
