"""Slack Events API bodies to `Event`s: pure functions, one per subscription, in `HANDLERS`.

Slack delivers `message.channels`, `message.groups`, `message.im` and `message.mpim`
all as inner `type: message`; `event_type()` names them by subscription again (from
`channel_type`), so `HANDLERS` keys match the app manifest's `bot_events`.

A thread is a conversation: `<channel>:<thread_ts>`, where a top-level message starts its
own thread (`thread_ts` = its `ts`). Direct messages that are not threaded form one
conversation per DM channel (`<channel>`). Edits, deletions, joins and other subtypes are
`ignored` on purpose: detection reads what was said when it was said.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.errors import PayloadInvalid
from connectors.jsonpath import (
    get_id,
    get_obj,
    get_str,
    get_unix_time,
    iter_objs,
    opt_bool,
    opt_str,
)
from connectors.model import (
    Attachment,
    Context,
    ConversationKey,
    Event,
    EventKind,
    Handler,
    Message,
    Platform,
    Role,
    dispatch,
)
from connectors.text import link_suffix, tidy

SUBSCRIPTIONS = {
    "channel": "message.channels",
    "group": "message.groups",
    "im": "message.im",
    "mpim": "message.mpim",
}
MESSAGE_SUBTYPES = frozenset({"", "bot_message", "thread_broadcast", "file_share", "me_message"})
_TS_RE = re.compile(r"^(\d{1,12})(?:\.(\d{1,6}))?$")
_MARKUP_RE = re.compile(r"<([^<>\n]*)>")


def _channel_type(event: Mapping[str, Any]) -> str:
    """Return the event's `channel_type`, inferred from the channel id when absent."""
    channel_type = opt_str(event, "channel_type", at="event")
    if channel_type:
        return channel_type
    channel = get_str(event, "channel", at="event")
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


def event_type(body: Mapping[str, Any]) -> str:
    """Return the subscription name of a message event, else Slack's own (inner) type."""
    outer = get_str(body, "type")
    if outer != "event_callback":
        return outer
    event = get_obj(body, "event")
    inner = get_str(event, "type", at="event")
    if inner != "message":
        return inner
    channel_type = _channel_type(event)
    if channel_type not in SUBSCRIPTIONS:
        raise PayloadInvalid("event.channel_type", f"unknown channel type {channel_type!r}")
    return SUBSCRIPTIONS[channel_type]


def delivery_id(headers: Mapping[str, str], body: Mapping[str, Any]) -> str:
    """Return the dedupe key: the envelope's `event_id` (the same on Slack's retries)."""
    return get_id(body, "event_id")


def parse_ts(ts: str, path: str) -> datetime:
    """Return a Slack `ts` (`1717000000.000100`) as an aware UTC time, exact to the µs."""
    match = _TS_RE.match(ts)
    if match is None:
        raise PayloadInvalid(path, f"not a Slack timestamp: {ts[:40]!r}")
    seconds, fraction = match.groups()
    moment = datetime.fromtimestamp(int(seconds), UTC)
    return moment.replace(microsecond=int((fraction or "0").ljust(6, "0")))


def _markup(match: re.Match[str]) -> str:
    """Return the readable form of one `<...>` Slack markup (mention, channel, link)."""
    target, _, label = match.group(1).partition("|")
    if target.startswith(("@", "#")):
        return target[0] + (label or target[1:])
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    return label + link_suffix(label, target) if label else target


def slack_to_text(text: str) -> str:
    """Return Slack message text as plain text: mentions and links readable, unescaped."""
    plain = _MARKUP_RE.sub(_markup, text)
    return tidy(plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


def conversation_id(channel: str, channel_type: str, ts: str, thread_ts: str | None) -> str:
    """Return the conversation id of a message: its thread, or the DM channel if unthreaded."""
    if thread_ts:
        return f"{channel}:{thread_ts}"
    return channel if channel_type == "im" else f"{channel}:{ts}"


def _role(user: str | None, bot_id: str | None, ctx: Context) -> Role:
    """Decide who wrote a message: configured ids first; other apps' bots are `system`."""
    known = ctx.identities.known_role(bot_id, user)
    if known is not None:
        return known
    return Role.SYSTEM if bot_id else Role.USER


def _files(event: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """Return the metadata of the files shared with a message."""
    return tuple(
        Attachment(
            name=opt_str(item, "name", at=path) or get_id(item, "id", at=path),
            url=opt_str(item, "url_private", at=path),
            content_type=opt_str(item, "mimetype", at=path),
        )
        for path, item in iter_objs(event, "files", at="event", required=False)
    )


def _event(body: Mapping[str, Any], ctx: Context, key: ConversationKey, **fields: Any) -> Event:
    """Build an event with the envelope fields every message event shares."""
    return Event(
        event_type=event_type(body),
        delivery_id=ctx.delivery_id,
        conversation=key,
        occurred_at=get_unix_time(body, "event_time"),
        account_id=opt_str(body, "team_id"),
        raw=body,
        **fields,
    )


def _key(event: Mapping[str, Any], ctx: Context, ts: str, thread: str | None) -> ConversationKey:
    """Return the conversation key of a message event with `ts` in `thread`."""
    channel = get_str(event, "channel", at="event")
    conversation = conversation_id(channel, _channel_type(event), ts, thread)
    return ConversationKey(Platform.SLACK, ctx.workspace, conversation)


def _ignored(body: Mapping[str, Any], event: Mapping[str, Any], ctx: Context) -> Event:
    """Build the `ignored` event of an edit, deletion or other non-message subtype."""
    nested = ("thread_ts", "message.thread_ts", "previous_message.thread_ts")
    thread = next((t for p in nested if (t := opt_str(event, p, at="event"))), None)
    own = ("message.ts", "deleted_ts", "ts")
    ts = next((t for p in own if (t := opt_str(event, p, at="event"))), "")
    return _event(body, ctx, _key(event, ctx, ts, thread), kind=EventKind.IGNORED)


def _posted(event: Mapping[str, Any], key: ConversationKey, ctx: Context) -> Message:
    """Build the message a (non-edit) message event posts."""
    ts = get_str(event, "ts", at="event")
    user, bot_id = opt_str(event, "user", at="event"), opt_str(event, "bot_id", at="event")
    return Message(
        id=ts,
        conversation=key,
        role=_role(user, bot_id, ctx),
        author_id=user or bot_id,
        sent_at=parse_ts(ts, "event.ts"),
        text=slack_to_text(opt_str(event, "text", at="event") or ""),
        attachments=_files(event),
        raw=event,
    )


def message(body: Mapping[str, Any], ctx: Context) -> Event:
    """Normalize a message in a channel, private channel, DM or group DM (thread-aware)."""
    event = get_obj(body, "event")
    subtype = opt_str(event, "subtype", at="event") or ""
    if subtype not in MESSAGE_SUBTYPES or opt_bool(event, "hidden", at="event"):
        return _ignored(body, event, ctx)
    ts = get_str(event, "ts", at="event")
    key = _key(event, ctx, ts, opt_str(event, "thread_ts", at="event"))
    posted = _posted(event, key, ctx)
    bot_id = opt_str(event, "bot_id", at="event")
    return _event(
        body,
        ctx,
        key,
        kind=EventKind.MESSAGE,
        messages=(posted,),
        actor_id=posted.author_id,
        from_self=ctx.identities.is_self(posted.author_id, bot_id),
    )


HANDLERS: dict[str, Handler] = {name: message for name in SUBSCRIPTIONS.values()}
HANDLED_EVENTS = frozenset(HANDLERS)


def normalize(body: Mapping[str, Any], ctx: Context) -> Event:
    """Normalize one verified Slack event; `UnsupportedEvent` for handshakes and other types."""
    return dispatch(HANDLERS, event_type(body), body, ctx)
