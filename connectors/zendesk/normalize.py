"""Zendesk webhook bodies to `Event`s: pure functions, one per event type, in `HANDLERS`.

Two shapes arrive. Event-subscription webhooks send Zendesk's fixed envelope
(`type: zen:event-type:ticket.*`, ticket snapshot in `detail`, the change in `event`).
Trigger-connected webhooks send the body an admin pasted from `trigger_body.json`
(`type: handoff:ticket.updated`): every value there is rendered text, so ids, flags and
times are read tolerantly. The trigger is meant to fire on "Ticket is Updated" when any
of: a comment is present (public or private), status changed to Solved, status changed
to Closed. It always reports the latest comment, so a status-only update repeats a
comment Handoff already has (messages dedupe by id) together with the new status.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectors.errors import PayloadInvalid
from connectors.headers import get_header
from connectors.jsonpath import (
    get_bool,
    get_id,
    get_iso_time,
    get_obj,
    get_str,
    iter_objs,
    opt_id,
    opt_iso_time,
    opt_str,
    opt_words,
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
from connectors.text import to_plain_text

COMMENT_ADDED = "zen:event-type:ticket.comment_added"
STATUS_CHANGED = "zen:event-type:ticket.status_changed"
TRIGGER_TICKET_UPDATED = "handoff:ticket.updated"
EVENT_TYPE_PREFIX = "zen:event-type:"
INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"
TRIGGER_BODY_TEMPLATE = Path(__file__).with_name("trigger_body.json")
"""The JSON body admins paste into the trigger's "Notify active webhook" action."""


def event_type(body: Mapping[str, Any]) -> str:
    """Return the body's type: a `zen:event-type:*` name or `handoff:ticket.updated`."""
    return get_str(body, "type")


def delivery_id(headers: Mapping[str, str], body: Mapping[str, Any]) -> str:
    """Return the dedupe key: the event id; for trigger bodies ticket, comment, status, time.

    Anything else falls back to the `X-Zendesk-Webhook-Invocation-Id` header, which stays
    the same across Zendesk's retries of one invocation.
    """
    kind = event_type(body)
    if kind.startswith(EVENT_TYPE_PREFIX):
        return get_id(body, "id")
    if kind == TRIGGER_TICKET_UPDATED:
        ticket, comment = get_id(body, "ticket.id"), get_id(body, "comment.id")
        status = _status(opt_str(body, "ticket.status")) or ""
        return f"trigger:{ticket}:{comment}:{status}:{get_str(body, 'ticket.updated_at')}"
    invocation = get_header(headers, INVOCATION_HEADER)
    if invocation is None:
        raise PayloadInvalid("id", f"no event id and no {INVOCATION_HEADER} header")
    return invocation


def _status(text: str | None) -> str | None:
    """Return a ticket status in lower case (`OPEN`, `Open` -> `open`); None when empty."""
    cleaned = (text or "").strip().lower()
    return cleaned or None


def _key(ctx: Context, ticket_id: str) -> ConversationKey:
    """Return the conversation key of a ticket."""
    return ConversationKey(Platform.ZENDESK, ctx.workspace, ticket_id)


def _attachments(comment: Mapping[str, Any], at: str) -> tuple[Attachment, ...]:
    """Return the attachment metadata of a comment (REST attachment shape), if any."""
    return tuple(
        Attachment(
            name=get_str(item, "file_name", at=path),
            url=opt_str(item, "content_url", at=path),
            content_type=opt_str(item, "content_type", at=path),
        )
        for path, item in iter_objs(comment, "attachments", at=at, required=False)
    )


def _event(body: Mapping[str, Any], ctx: Context, kind: EventKind, **fields: Any) -> Event:
    """Build an event of an event-subscription envelope with the fields all types share."""
    return Event(
        kind=kind,
        event_type=event_type(body),
        delivery_id=ctx.delivery_id,
        conversation=_key(ctx, get_id(body, "detail.id")),
        occurred_at=get_iso_time(body, "time"),
        tags=opt_words(body, "detail.tags"),
        account_id=opt_id(body, "account_id"),
        raw=body,
        **fields,
    )


def _comment_message(body: Mapping[str, Any], ctx: Context) -> Message:
    """Build the message of an event-subscription comment (role from `is_staff`).

    The envelope carries no comment time; the event's `time` stands in for it.
    """
    at = "event.comment"
    comment = get_obj(body, at)
    author_id = get_id(comment, "author.id", at=at)
    is_staff = get_bool(comment, "author.is_staff", at=at)
    return Message(
        id=get_id(comment, "id", at=at),
        conversation=_key(ctx, get_id(body, "detail.id")),
        role=ctx.identities.known_role(author_id) or (Role.AGENT if is_staff else Role.USER),
        author_id=author_id,
        sent_at=get_iso_time(body, "time"),
        text=to_plain_text(opt_str(comment, "body", at=at) or ""),
        public=get_bool(comment, "is_public", at=at),
        attachments=_attachments(comment, at),
        raw=comment,
    )


def comment_added(body: Mapping[str, Any], ctx: Context) -> Event:
    """`ticket.comment_added`: a public comment is a message, a private one a note."""
    message = _comment_message(body, ctx)
    return _event(
        body,
        ctx,
        EventKind.MESSAGE if message.public else EventKind.NOTE,
        messages=(message,),
        status=_status(opt_str(body, "detail.status")),
        actor_id=message.author_id,
        from_self=ctx.identities.is_self(message.author_id),
    )


def status_changed(body: Mapping[str, Any], ctx: Context) -> Event:
    """`ticket.status_changed`: the new status (`solved` / `closed` end the episode)."""
    status = _status(opt_str(body, "event.current")) or _status(opt_str(body, "detail.status"))
    if status is None:
        raise PayloadInvalid("event.current", "missing (expected the new status)")
    actor_id = opt_id(body, "detail.actor_id")
    return _event(
        body,
        ctx,
        EventKind.STATUS_CHANGED,
        status=status,
        actor_id=actor_id,
        from_self=ctx.identities.is_self(actor_id),
    )


def _role_from_text(text: str | None) -> Role | None:
    """Map a rendered Zendesk role name to a role (`End-user`: user, any staff role: agent)."""
    name = (text or "").strip().lower().replace("_", "-").replace(" ", "-")
    if not name:
        return None
    return Role.USER if name in ("end-user", "enduser") else Role.AGENT


def _trigger_role(body: Mapping[str, Any], author_id: str, ctx: Context) -> Role:
    """Decide who wrote the latest comment: configuration first, then the rendered roles."""
    known = ctx.identities.known_role(author_id)
    if known is not None:
        return known
    role = _role_from_text(opt_str(body, "comment.author_role"))
    if role is None and author_id == opt_id(body, "current_user.id"):
        role = _role_from_text(opt_str(body, "current_user.role"))
    if role is None and author_id == opt_id(body, "ticket.requester_id"):
        role = Role.USER
    return role or Role.SYSTEM


def _trigger_message(body: Mapping[str, Any], ctx: Context) -> Message:
    """Build the message of the trigger body's latest comment."""
    author_id = get_id(body, "comment.author_id")
    return Message(
        id=get_id(body, "comment.id"),
        conversation=_key(ctx, get_id(body, "ticket.id")),
        role=_trigger_role(body, author_id, ctx),
        author_id=author_id,
        sent_at=opt_iso_time(body, "comment.created_at") or get_iso_time(body, "ticket.updated_at"),
        text=to_plain_text(opt_str(body, "comment.body") or ""),
        public=get_bool(body, "comment.is_public"),
        raw=get_obj(body, "comment"),
    )


def trigger_ticket_updated(body: Mapping[str, Any], ctx: Context) -> Event:
    """Normalize the trigger body: the latest comment (message or note) and the status."""
    message = _trigger_message(body, ctx)
    updater = opt_id(body, "current_user.id")
    return Event(
        kind=EventKind.MESSAGE if message.public else EventKind.NOTE,
        event_type=TRIGGER_TICKET_UPDATED,
        delivery_id=ctx.delivery_id,
        conversation=message.conversation,
        occurred_at=get_iso_time(body, "ticket.updated_at"),
        messages=(message,),
        status=_status(opt_str(body, "ticket.status")),
        actor_id=updater or message.author_id,
        from_self=ctx.identities.is_self(updater, message.author_id),
        tags=opt_words(body, "ticket.tags"),
        raw=body,
    )


HANDLERS: dict[str, Handler] = {
    COMMENT_ADDED: comment_added,
    STATUS_CHANGED: status_changed,
    TRIGGER_TICKET_UPDATED: trigger_ticket_updated,
}
HANDLED_EVENTS = frozenset(HANDLERS)


def normalize(body: Mapping[str, Any], ctx: Context) -> Event:
    """Normalize one verified Zendesk body; `UnsupportedEvent` for types not in `HANDLERS`."""
    return dispatch(HANDLERS, event_type(body), body, ctx)
