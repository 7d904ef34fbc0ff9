"""Intercom notifications to `Event`s: pure functions, one per topic, in `HANDLERS`.

The conversation is `data.item` (API 2.x shape; pin the app's Developer Hub version).
`conversation.user.created` carries the customer's first message in `data.item.source`;
the other topics carry conversation parts, each of which is processed (the webhook may
batch several).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from connectors.errors import PayloadInvalid
from connectors.intercom.parts import part_message
from connectors.jsonpath import (
    get_id,
    get_obj,
    get_str,
    get_unix_time,
    iter_objs,
    join,
    opt_id,
    opt_str,
)
from connectors.model import (
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

USER_CREATED = "conversation.user.created"
USER_REPLIED = "conversation.user.replied"
ADMIN_REPLIED = "conversation.admin.replied"
OPERATOR_REPLIED = "conversation.operator.replied"
ADMIN_NOTED = "conversation.admin.noted"
ADMIN_ASSIGNED = "conversation.admin.assigned"
ADMIN_CLOSED = "conversation.admin.closed"

ITEM = "data.item"
PARTS = "conversation_parts.conversation_parts"
MESSAGE_PART_TYPES = frozenset({"comment", "quick_reply"})
ASSIGNMENT_PART_TYPES = frozenset(
    {"assignment", "assign_and_reopen", "away_mode_assignment", "default_assignment"}
)


def event_type(body: Mapping[str, Any]) -> str:
    """Return the notification's topic, e.g. `conversation.user.replied`."""
    return get_str(body, "topic")


def delivery_id(headers: Mapping[str, str], body: Mapping[str, Any]) -> str:
    """Return the dedupe key: the notification id (`notif_...`); headers add nothing."""
    return get_id(body, "id")


def _key(body: Mapping[str, Any], ctx: Context) -> ConversationKey:
    """Return the key of the notification's conversation."""
    return ConversationKey(Platform.INTERCOM, ctx.workspace, get_id(body, f"{ITEM}.id"))


def _parts(body: Mapping[str, Any], types: Iterable[str]) -> list[tuple[str, Mapping[str, Any]]]:
    """Return the conversation parts whose `part_type` is in `types`, with their paths."""
    wanted = frozenset(types)
    return [
        (path, part)
        for path, part in iter_objs(get_obj(body, ITEM), PARTS, at=ITEM, required=False)
        if get_str(part, "part_type", at=path) in wanted
    ]


def _event(
    body: Mapping[str, Any], ctx: Context, kind: EventKind, status: str | None = None, **fields: Any
) -> Event:
    """Build an event with the fields every topic shares (key, time, state, tags, app)."""
    state = status or opt_str(body, f"{ITEM}.state")
    tags = iter_objs(get_obj(body, ITEM), "tags.tags", at=ITEM, required=False)
    return Event(
        kind=kind,
        event_type=event_type(body),
        delivery_id=ctx.delivery_id,
        conversation=_key(body, ctx),
        occurred_at=get_unix_time(body, "created_at"),
        status=state.lower() if state else None,
        tags=tuple(get_str(tag, "name", at=path) for path, tag in tags),
        account_id=opt_id(body, "app_id"),
        raw=body,
        **fields,
    )


def _with_messages(
    body: Mapping[str, Any], ctx: Context, kind: EventKind, messages: tuple[Message, ...]
) -> Event:
    """Build an event adding `messages`; its actor is the last message's author."""
    if not messages:
        raise PayloadInvalid(join(ITEM, PARTS), f"no part for topic {event_type(body)!r}")
    actor = messages[-1].author_id
    return _event(
        body, ctx, kind, messages=messages, actor_id=actor, from_self=ctx.identities.is_self(actor)
    )


def _replied(body: Mapping[str, Any], ctx: Context, admin_role: Role) -> Event:
    """Normalize a reply topic: every comment part is a public message."""
    parts = _parts(body, MESSAGE_PART_TYPES)
    messages = tuple(part_message(part, at, _key(body, ctx), ctx, admin_role) for at, part in parts)
    return _with_messages(body, ctx, EventKind.MESSAGE, messages)


def user_created(body: Mapping[str, Any], ctx: Context) -> Event:
    """`conversation.user.created`: the customer's first message, from `data.item.source`."""
    at = f"{ITEM}.source"
    sent_at = get_unix_time(body, f"{ITEM}.created_at")
    message = part_message(get_obj(body, at), at, _key(body, ctx), ctx, Role.AGENT, sent_at)
    return _with_messages(body, ctx, EventKind.MESSAGE, (message,))


def user_replied(body: Mapping[str, Any], ctx: Context) -> Event:
    """`conversation.user.replied`: the customer's reply part(s)."""
    return _replied(body, ctx, Role.AGENT)


def admin_replied(body: Mapping[str, Any], ctx: Context) -> Event:
    """`conversation.admin.replied`: a teammate's public reply (never fired for Fin)."""
    return _replied(body, ctx, Role.AGENT)


def operator_replied(body: Mapping[str, Any], ctx: Context) -> Event:
    """`conversation.operator.replied`: Fin / Operator / workflow bot replies."""
    return _replied(body, ctx, Role.BOT)


def admin_noted(body: Mapping[str, Any], ctx: Context) -> Event:
    """`conversation.admin.noted`: internal note part(s), never transcript messages."""
    parts = _parts(body, {"note"})
    notes = tuple(part_message(part, at, _key(body, ctx), ctx, Role.AGENT) for at, part in parts)
    return _with_messages(body, ctx, EventKind.NOTE, notes)


def _actor(body: Mapping[str, Any], types: Iterable[str]) -> str | None:
    """Return who wrote the last part of one of `types`, if the webhook has such a part."""
    parts = _parts(body, types)
    if not parts:
        return None
    at, part = parts[-1]
    return opt_id(part, "author.id", at=at)


def admin_assigned(body: Mapping[str, Any], ctx: Context) -> Event:
    """`conversation.admin.assigned`: the conversation's assignee and team afterwards."""
    actor = _actor(body, ASSIGNMENT_PART_TYPES)
    return _event(
        body,
        ctx,
        EventKind.ASSIGNED,
        assignee_id=opt_id(body, f"{ITEM}.admin_assignee_id"),
        team_id=opt_id(body, f"{ITEM}.team_assignee_id"),
        actor_id=actor,
        from_self=ctx.identities.is_self(actor),
    )


def admin_closed(body: Mapping[str, Any], ctx: Context) -> Event:
    """`conversation.admin.closed`: the conversation was closed (hand-back)."""
    actor = _actor(body, {"close"})
    return _event(
        body,
        ctx,
        EventKind.CLOSED,
        status="closed",
        actor_id=actor,
        from_self=ctx.identities.is_self(actor),
    )


HANDLERS: dict[str, Handler] = {
    USER_CREATED: user_created,
    USER_REPLIED: user_replied,
    ADMIN_REPLIED: admin_replied,
    OPERATOR_REPLIED: operator_replied,
    ADMIN_NOTED: admin_noted,
    ADMIN_ASSIGNED: admin_assigned,
    ADMIN_CLOSED: admin_closed,
}
HANDLED_EVENTS = frozenset(HANDLERS)


def normalize(body: Mapping[str, Any], ctx: Context) -> Event:
    """Normalize one verified Intercom notification; `UnsupportedEvent` for other topics."""
    return dispatch(HANDLERS, event_type(body), body, ctx)
