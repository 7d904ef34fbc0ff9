"""The normalized model every platform's webhooks are turned into (frozen, platform-neutral)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from connectors.errors import UnsupportedEvent

CLOSED_STATUSES = frozenset({"solved", "closed"})
"""Conversation statuses that end an episode (hand-back to the bot)."""


class Platform(StrEnum):
    """The helpdesk or chat platform an event came from."""

    ZENDESK = "zendesk"
    INTERCOM = "intercom"
    SLACK = "slack"


class Role(StrEnum):
    """Who wrote a message, in the detection contract's terms."""

    USER = "user"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class EventKind(StrEnum):
    """What one webhook means for the conversation.

    `message` adds public transcript messages; `note` carries private notes (never part
    of the transcript, ignored by detection); `status_changed` reports a new status
    (`Event.status`); `assigned` a new assignee / team; `closed` the conversation was
    closed; `ignored` a recognised event that Handoff drops on purpose (edits, deletions,
    joins).
    """

    MESSAGE = "message"
    NOTE = "note"
    STATUS_CHANGED = "status_changed"
    ASSIGNED = "assigned"
    CLOSED = "closed"
    IGNORED = "ignored"


@dataclass(frozen=True)
class Identities:
    """Per-workspace knowledge of who is who, passed into the normalizers.

    `bot_ids`: the AI assistant's user / admin / bot ids (its messages get role `bot`).
    `self_ids`: Handoff's own integration user / admin / bot ids (its notes, tags and
    assignments echo back as webhooks and are marked `from_self`).
    `teammate_ids`: human teammates where the platform cannot tell (Slack user ids).
    """

    bot_ids: frozenset[str] = frozenset()
    self_ids: frozenset[str] = frozenset()
    teammate_ids: frozenset[str] = frozenset()

    def known_role(self, *author_ids: str | None) -> Role | None:
        """Return the role configuration fixes for any of these ids, or None."""
        ids = {i for i in author_ids if i}
        if ids & self.bot_ids:
            return Role.BOT
        if ids & self.self_ids:
            return Role.SYSTEM
        if ids & self.teammate_ids:
            return Role.AGENT
        return None

    def is_self(self, *author_ids: str | None) -> bool:
        """Tell whether any of these ids is one of Handoff's own identities."""
        return any(i in self.self_ids for i in author_ids if i)


@dataclass(frozen=True)
class Context:
    """What a normalizer needs besides the payload.

    `workspace` is Handoff's workspace the webhook was addressed to (from the URL);
    `delivery_id` the dedupe key computed at intake with the platform's `delivery_id()`.
    """

    workspace: str
    delivery_id: str
    identities: Identities = Identities()


@dataclass(frozen=True)
class ConversationKey:
    """Identifies one conversation: platform + Handoff workspace + platform conversation id.

    Zendesk: the ticket id. Intercom: the conversation id. Slack: `<channel>:<thread_ts>`
    for a thread (a top-level message starts its own thread), or `<channel>` for the
    un-threaded part of a direct message.
    """

    platform: Platform
    workspace: str
    conversation_id: str

    def __str__(self) -> str:
        return f"{self.platform}/{self.workspace}/{self.conversation_id}"


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message (metadata only, never the content)."""

    name: str
    url: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Message:
    """One message of a conversation, as the platform reported it.

    `text` is readable plain text (HTML and Slack markup stripped); `public` is False for
    private / internal notes; `raw` is the platform's own object for this message.
    """

    id: str
    conversation: ConversationKey
    role: Role
    author_id: str | None
    sent_at: datetime
    text: str
    public: bool = True
    attachments: tuple[Attachment, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, hash=False)

    def __post_init__(self) -> None:
        if self.sent_at.tzinfo is None or self.sent_at.utcoffset() is None:
            raise ValueError("Message.sent_at must be timezone-aware")


@dataclass(frozen=True)
class Event:
    """The normalized result of one webhook delivery.

    `event_type` is the platform's own name (topic / type) for it; `messages` holds the
    message(s) it adds (usually one; Intercom may batch parts); `status` the conversation
    status the payload reports (lower-case, e.g. `open`, `solved`, `closed`); `assignee_id`
    / `team_id` the assignment after an `assigned` event; `actor_id` who caused it;
    `from_self` whether that was Handoff itself; `account_id` the platform tenant named
    in the payload (Zendesk account, Intercom app, Slack team), if any; `raw` the body.
    """

    kind: EventKind
    event_type: str
    delivery_id: str
    conversation: ConversationKey
    occurred_at: datetime
    messages: tuple[Message, ...] = ()
    status: str | None = None
    assignee_id: str | None = None
    team_id: str | None = None
    actor_id: str | None = None
    from_self: bool = False
    tags: tuple[str, ...] = ()
    account_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, hash=False)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("Event.occurred_at must be timezone-aware")

    @property
    def message(self) -> Message | None:
        """Return the event's message: the last one when several arrived together."""
        return self.messages[-1] if self.messages else None

    @property
    def closes(self) -> bool:
        """Tell whether the event reports the conversation solved or closed (hand-back)."""
        return self.kind is EventKind.CLOSED or self.status in CLOSED_STATUSES


Handler = Callable[[Mapping[str, Any], Context], Event]
"""A pure normalizer: one verified webhook body (+ context) to one `Event`."""


def dispatch(
    handlers: Mapping[str, Handler], kind: str, body: Mapping[str, Any], ctx: Context
) -> Event:
    """Run the handler for an event type; `UnsupportedEvent` when there is none."""
    handler = handlers.get(kind)
    if handler is None:
        raise UnsupportedEvent(kind)
    return handler(body, ctx)
