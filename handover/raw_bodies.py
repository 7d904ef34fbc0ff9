"""What a stored raw body says, for `handover.forget`: its conversation, the addresses it names.

`conversation_of` reads the platform conversation id from a raw body the way the
normalizers key conversations, and never fails on an odd payload. `mentions` and
`body_mentions` tell whether a text or a raw body names an email address (in any case,
never inside a longer address).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from connectors.errors import PayloadInvalid
from connectors.jsonpath import opt_id, opt_obj, opt_str
from connectors.model import Platform
from connectors.slack.normalize import conversation_id as slack_conversation_id


def mentions(text: str, address: str) -> bool:
    """Tell whether `text` names the email `address` (any case), not a longer address."""
    pattern = rf"(?<![\w.+-]){re.escape(address)}(?![\w-]|\.\w)"
    return re.search(pattern, text, re.IGNORECASE) is not None


def body_mentions(body: str | None, address: str) -> bool:
    """Tell whether a raw body names `address`: in one of its JSON strings, else anywhere."""
    if body is None:
        return False
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return mentions(body, address)
    return any(mentions(text, address) for text in _strings(payload))


def _strings(value: Any) -> Iterator[str]:
    """Yield every string in a parsed JSON value (its escapes decoded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def conversation_of(platform: str, body: str | None) -> str | None:
    """Return the platform conversation id a raw body belongs to; None when it cannot tell.

    Never raises: a body that is purged, not JSON or oddly shaped just gives None.
    """
    reader = CONVERSATION_READERS.get(platform)
    if body is None or reader is None:
        return None
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return reader(payload) if isinstance(payload, dict) else None


def _first(read: Callable[..., Any], obj: Mapping[str, Any], paths: Iterable[str]) -> Any:
    """Return the first non-empty value `read` finds at `paths`; wrong types are skipped."""
    for path in paths:
        try:
            value = read(obj, path)
        except PayloadInvalid:
            continue
        if value:
            return value
    return None


def zendesk_conversation(body: Mapping[str, Any]) -> str | None:
    """The ticket id of a Zendesk body.

    `detail.id` in event subscriptions, `ticket.id` in trigger bodies, else the
    envelope's `subject` (`zen:ticket:<id>`).
    """
    found: str | None = _first(opt_id, body, ("detail.id", "ticket.id"))
    subject: str = _first(opt_str, body, ("subject",)) or ""
    prefix = "zen:ticket:"
    if found is None and subject.startswith(prefix) and subject != prefix:
        return subject.removeprefix(prefix)
    return found


def intercom_conversation(body: Mapping[str, Any]) -> str | None:
    """The conversation id, `data.item.id`."""
    found: str | None = _first(opt_id, body, ("data.item.id",))
    return found


def slack_conversation(body: Mapping[str, Any]) -> str | None:
    """The thread (`<channel>:<thread_ts>`) or unthreaded DM channel of a message event.

    The same key as `connectors.slack.normalize` gives, also for edits and deletions
    (whose thread and message time are nested in `message` / `previous_message`).
    """
    event: Mapping[str, Any] = _first(opt_obj, body, ("event",)) or {}
    channel: str | None = _first(opt_str, event, ("channel",))
    if channel is None:
        return None
    threads = ("thread_ts", "message.thread_ts", "previous_message.thread_ts")
    thread: str | None = _first(opt_str, event, threads)
    ts: str = _first(opt_str, event, ("message.ts", "deleted_ts", "ts")) or ""
    kind: str = _first(opt_str, event, ("channel_type",)) or _channel_kind(channel)
    if not (thread or ts or kind == "im"):
        return None
    return slack_conversation_id(channel, kind, ts, thread)


def _channel_kind(channel: str) -> str:
    """A Slack channel's type from its id, when the event does not say (as the normalizer)."""
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


CONVERSATION_READERS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    Platform.ZENDESK.value: zendesk_conversation,
    Platform.INTERCOM.value: intercom_conversation,
    Platform.SLACK.value: slack_conversation,
}
"""Per platform: the conversation id a parsed raw body belongs to (None if it has none)."""
