"""Perform Handoff's actions on Slack through `slack_sdk.WebClient`.

tag → `reactions.add` on the thread's root; note → `chat.postMessage` in the target
(triage) channel with a permalink, a user group mention and "Take it" / "Hand back"
buttons, or in the customer's thread without a target; reply → `chat.postMessage` in
the customer's thread; assign and suspend are deliberate no-ops. Notes and replies carry
message metadata (`handoff_note` / `handoff_reply` with the action's marker and key) that
`find_marker` looks for. Conversation ids are `<channel>:<thread_ts>` or `<channel>`
(an un-threaded direct message).

The client never retries (`retry_handlers=[]`; the outbox owns retries) and records
every request it sends (never headers, never the token). In dry run the same SDK code
path runs but the transport answers a canned success without opening a socket.
"""

from __future__ import annotations

import copy
import http.client
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from connectors.actions import UNSAFE_TO_REPEAT, Action, ActionKind, Outcome, SentRequest
from connectors.errors import ConnectorError, PlatformError, RateLimited
from connectors.headers import get_header
from connectors.model import Platform
from connectors.slack.blocks import escape_mrkdwn, note_blocks, note_fallback_text

NOTE_EVENT = "handoff_note"
REPLY_EVENT = "handoff_reply"
DRY_RUN_TS = "0000000000.000001"
HISTORY_LIMIT = 50
REPLIES_LIMIT = 100
RETRYABLE_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
"""Slack error codes answered with HTTP 200 that are worth another try."""


@dataclass(frozen=True)
class SlackConversation:
    """A Slack conversation id split into its channel and thread root (None for a DM)."""

    channel: str
    thread_ts: str | None = None

    @classmethod
    def parse(cls, conversation_id: str) -> SlackConversation:
        """Split `<channel>:<thread_ts>` or `<channel>`; ValueError when there is no channel."""
        channel, _, thread_ts = conversation_id.partition(":")
        if not channel.strip():
            raise ValueError(f"not a Slack conversation id: {conversation_id!r}")
        return cls(channel, thread_ts or None)


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


def _error_code(response: SlackResponse) -> str:
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
    code = _error_code(response)
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


def _conversation(action: Action) -> SlackConversation:
    """Return the action's conversation; a non-retryable `PlatformError` if malformed."""
    try:
        return SlackConversation.parse(action.conversation_id)
    except ValueError as err:
        raise PlatformError("slack", str(err), retryable=False) from err


def _metadata(event_type: str, action: Action) -> dict[str, Any]:
    """Return the message metadata carrying the action's marker and idempotency key."""
    return {"event_type": event_type, "event_payload": {"marker": action.marker, "key": action.key}}


def _target_channel(action: Action) -> str | None:
    """Return the target (triage) channel of an action, if it has one."""
    channel = action.target.get("channel")
    return str(channel) if channel else None


def _usergroup(action: Action) -> str | None:
    """Return the user group the note mentions, if any."""
    group = action.target.get("usergroup")
    return str(group) if group else None


def _reference(response: SlackResponse) -> str | None:
    """Return the `ts` of the message a call created."""
    ts = response.get("ts")
    return str(ts) if ts else None


def _carries_marker(message: Any, marker: str) -> bool:
    """Tell whether a history message's metadata carries `marker`."""
    metadata = message.get("metadata") if isinstance(message, dict) else None
    payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
    return isinstance(payload, dict) and payload.get("marker") == marker


class SlackClient:
    """Performs `Action`s on Slack (see the module docstring for what each kind does)."""

    platform: Platform = Platform.SLACK

    def __init__(
        self,
        token: str,
        *,
        reaction: str = "rotating_light",
        base_url: str | None = None,
        timeout: float = 10.0,
        dry_run: bool = False,
    ) -> None:
        self.reaction = reaction
        self.timeout = timeout
        self.dry_run = dry_run
        self._web = RecordingWebClient(
            dry_run=dry_run,
            token=token,
            base_url=base_url or WebClient.BASE_URL,
            timeout=timeout,  # urllib takes float seconds (the SDK annotates int)
            retry_handlers=[],
        )
        self._handlers: dict[ActionKind, Callable[[Action], Outcome]] = {
            ActionKind.TAG: self._tag,
            ActionKind.NOTE: self._note,
            ActionKind.ASSIGN: self._assign,
            ActionKind.REPLY: self._reply,
            ActionKind.SUSPEND: self._suspend,
        }

    def perform(self, action: Action) -> Outcome:
        """Perform `action` once; raise `RateLimited` or `PlatformError` on failure."""
        handler = self._handlers[action.kind]
        with self._web.recording() as sent, self._translated_errors():
            outcome = handler(action)
        return replace(outcome, requests=tuple(sent))

    def find_marker(self, action: Action) -> bool:
        """Tell whether a note / reply carrying `action.marker` is already on Slack."""
        if not action.marker or action.kind not in UNSAFE_TO_REPEAT:
            return False
        with self._web.recording(), self._translated_errors():
            messages = self._recent_messages(action)
        return any(_carries_marker(message, action.marker) for message in messages)

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        """Turn SDK and network errors into the connector error tree."""
        try:
            yield
        except SlackApiError as err:
            raise map_api_error(err) from err
        except (OSError, http.client.HTTPException) as err:  # URLError, timeouts, resets
            raise map_network_error(err, self.timeout) from err

    def _recent_messages(self, action: Action) -> list[Any]:
        """Read the one place the action posts to: the target channel or the thread."""
        conversation = _conversation(action)
        target = _target_channel(action) if action.kind is ActionKind.NOTE else None
        if target is None and conversation.thread_ts:
            response = self._web.conversations_replies(
                channel=conversation.channel,
                ts=conversation.thread_ts,
                include_all_metadata=True,
                limit=REPLIES_LIMIT,
            )
        else:
            response = self._web.conversations_history(
                channel=target or conversation.channel,
                include_all_metadata=True,
                limit=HISTORY_LIMIT,
            )
        messages = response.get("messages")
        return messages if isinstance(messages, list) else []

    def _tag(self, action: Action) -> Outcome:
        """React on the thread's root; `already_reacted` counts as done."""
        conversation = _conversation(action)
        if conversation.thread_ts is None:
            return Outcome(skipped="a direct-message conversation has no thread root to react to")
        try:
            self._web.reactions_add(
                channel=conversation.channel, name=self.reaction, timestamp=conversation.thread_ts
            )
        except SlackApiError as err:
            if _error_code(err.response) != "already_reacted":
                raise
        return Outcome()

    def _note(self, action: Action) -> Outcome:
        """Post the note in the target channel, or in the customer's thread without one."""
        conversation = _conversation(action)
        target = _target_channel(action)
        if target is not None:
            return self._note_in_channel(action, conversation, target)
        if conversation.thread_ts is None:
            return Outcome(
                skipped="no target channel, and a note in a direct message would reach the customer"
            )
        return self._post_note(action, conversation.channel, conversation.thread_ts, buttons=False)

    def _note_in_channel(
        self, action: Action, conversation: SlackConversation, target: str
    ) -> Outcome:
        """Post the note with buttons in the triage channel, linking back to the thread."""
        permalink = None
        if conversation.thread_ts is not None:
            response = self._web.chat_getPermalink(
                channel=conversation.channel, message_ts=conversation.thread_ts
            )
            permalink = str(response.get("permalink") or "") or None
        return self._post_note(action, target, None, buttons=True, permalink=permalink)

    def _post_note(
        self,
        action: Action,
        channel: str,
        thread_ts: str | None,
        *,
        buttons: bool,
        permalink: str | None = None,
    ) -> Outcome:
        """Post the note's blocks with `handoff_note` metadata; the reference is its ts."""
        usergroup = _usergroup(action)
        blocks = note_blocks(
            action.text,
            conversation_id=action.conversation_id,
            permalink=permalink,
            usergroup=usergroup,
            links=action.links,
            buttons=buttons,
        )
        response = self._web.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=note_fallback_text(action.text, usergroup=usergroup),
            blocks=blocks,
            metadata=_metadata(NOTE_EVENT, action),
        )
        return Outcome(reference=_reference(response))

    def _reply(self, action: Action) -> Outcome:
        """Reply in the customer's thread (or DM) with `handoff_reply` metadata."""
        conversation = _conversation(action)
        response = self._web.chat_postMessage(
            channel=conversation.channel,
            thread_ts=conversation.thread_ts,
            text=escape_mrkdwn(action.text),
            metadata=_metadata(REPLY_EVENT, action),
        )
        return Outcome(reference=_reference(response))

    def _assign(self, action: Action) -> Outcome:
        """Nothing to do: the note in the target channel is the assignment."""
        return Outcome(skipped="on Slack the note in the target channel is the assignment")

    def _suspend(self, action: Action) -> Outcome:
        """Nothing to do on Slack itself: Handoff's own replies stop."""
        return Outcome(skipped="on Slack Handoff's own replies stop; other bots read should_reply")
