"""The marker of Handoff's Slack notes and replies: written into them, and found again.

Notes and replies carry message metadata (`handoff_note` / `handoff_reply`, see
`marker_metadata`) with the action's marker and idempotency key. `marker_posted` looks
for it in the one place the action posts to, only in what was posted from
`Action.search_from` on (sent as `oldest`), up to `MARKER_PAGES` pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from connectors.actions import Action

NOTE_EVENT = "handoff_note"
REPLY_EVENT = "handoff_reply"
HISTORY_LIMIT = 50
REPLIES_LIMIT = 100
MARKER_PAGES = 5
"""Pages of history / replies `marker_posted` reads at most (following `next_cursor`)."""


def marker_metadata(event_type: str, action: Action) -> dict[str, Any]:
    """Return the message metadata carrying the action's marker and idempotency key."""
    return {"event_type": event_type, "event_payload": {"marker": action.marker, "key": action.key}}


def marker_posted(web: WebClient, action: Action, channel: str, thread_ts: str | None) -> bool:
    """Tell whether a message carrying `action.marker` was posted since the action was planned.

    Reads the thread `thread_ts` (replies) or, without one, the channel (history), page
    after page, and stops at the first page that has the marker.
    """
    for messages in _recent_pages(web, channel, thread_ts, action.search_from):
        if any(
            _carries_marker(message, action.marker)
            and action.posted_since_planned(_posted_at(message))
            for message in messages
        ):
            return True
    return False


def _recent_pages(
    web: WebClient, channel: str, thread_ts: str | None, since: float | None
) -> Iterator[list[Any]]:
    """Yield the pages of a thread or a channel, up to `MARKER_PAGES`.

    A thread reads oldest first and a channel newest first; `oldest` (`since`, when set)
    skips what was posted before, so the pages that follow hold what matters.
    """
    read: Callable[..., SlackResponse]
    args: dict[str, Any] = {"include_all_metadata": True}
    if thread_ts:
        read = web.conversations_replies
        args.update(channel=channel, ts=thread_ts, limit=REPLIES_LIMIT)
    else:
        read = web.conversations_history
        args.update(channel=channel, limit=HISTORY_LIMIT)
    if since is not None:
        args["oldest"] = f"{since:.6f}"
    cursor: str | None = None
    for _ in range(MARKER_PAGES):
        response = read(**args, cursor=cursor)
        messages = response.get("messages")
        yield messages if isinstance(messages, list) else []
        cursor = _next_cursor(response)
        if cursor is None:
            return


def _carries_marker(message: Any, marker: str) -> bool:
    """Tell whether a history message's metadata carries `marker`."""
    metadata = message.get("metadata") if isinstance(message, dict) else None
    payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
    return isinstance(payload, dict) and payload.get("marker") == marker


def _posted_at(message: Any) -> float | None:
    """Return a history message's `ts` in unix seconds; None when absent or malformed."""
    ts = message.get("ts") if isinstance(message, dict) else None
    try:
        return float(ts) if isinstance(ts, str | int | float) else None
    except ValueError:
        return None


def _next_cursor(response: SlackResponse) -> str | None:
    """Return the cursor of the next page of a paginated answer, None on the last page."""
    metadata = response.get("response_metadata")
    cursor = metadata.get("next_cursor") if isinstance(metadata, Mapping) else None
    return str(cursor) if cursor else None
