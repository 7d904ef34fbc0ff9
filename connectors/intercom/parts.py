"""Intercom conversation parts (and the conversation source) to `Message`s."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.jsonpath import (
    get_id,
    get_obj,
    get_str,
    get_unix_time,
    iter_objs,
    join,
    opt_bool,
    opt_id,
    opt_str,
)
from connectors.model import Attachment, Context, ConversationKey, Message, Role
from connectors.text import to_plain_text

CONTACT_AUTHOR_TYPES = frozenset({"user", "lead", "contact"})


def author_role(author: Mapping[str, Any], at: str, ctx: Context, admin_role: Role) -> Role:
    """Decide who wrote a part: configuration first, then `author.type`, the AI-agent flag.

    An `admin` author is `admin_role` (the topic decides: a teammate for
    `admin.replied`, the bot for `operator.replied`). Unknown types are `system`.
    """
    known = ctx.identities.known_role(opt_id(author, "id", at=at))
    if known is not None:
        return known
    author_type = get_str(author, "type", at=at)
    if author_type in CONTACT_AUTHOR_TYPES:
        return Role.USER
    if author_type == "bot" or opt_bool(author, "from_ai_agent", at=at):
        return Role.BOT
    return admin_role if author_type == "admin" else Role.SYSTEM


def attachments(part: Mapping[str, Any], at: str) -> tuple[Attachment, ...]:
    """Return the attachment metadata of a part or of the conversation source."""
    return tuple(
        Attachment(
            name=get_str(item, "name", at=path),
            url=opt_str(item, "url", at=path),
            content_type=opt_str(item, "content_type", at=path),
        )
        for path, item in iter_objs(part, "attachments", at=at, required=False)
    )


def part_message(
    part: Mapping[str, Any],
    at: str,
    key: ConversationKey,
    ctx: Context,
    admin_role: Role,
    sent_at: datetime | None = None,
) -> Message:
    """Build the message of a part (or of the source, which has no time: pass `sent_at`)."""
    author_at = join(at, "author")
    author = get_obj(part, "author", at=at)
    return Message(
        id=get_id(part, "id", at=at),
        conversation=key,
        role=author_role(author, author_at, ctx, admin_role),
        author_id=opt_id(author, "id", at=author_at),
        sent_at=sent_at or get_unix_time(part, "created_at", at=at),
        text=to_plain_text(opt_str(part, "body", at=at) or ""),
        public=opt_str(part, "part_type", at=at) != "note",
        attachments=attachments(part, at),
        raw=part,
    )
