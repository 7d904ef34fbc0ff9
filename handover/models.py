"""The durable tables (SQLAlchemy 2 typed ORM): intake, decisions, outbox and audit.

`events` is the raw-delivery store and its UNIQUE(workspace, platform, delivery_id) is the
dedupe. `conversations` holds the handover state machine (`states.State`) and the episode
number; `messages` the normalized transcript (unique platform message id per
conversation); `decisions` every detector decision and state change, with the event that
caused it; `actions` the outbox of platform actions and `audit` the append-only audit log
(`models_outbox`, importable from here). Times are stored in UTC and always come back
timezone-aware (`models_base`, whose `Base`, `UTCDateTime` and `utcnow` are re-exported).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from handover.models_base import Base, Id, UTCDateTime, utcnow
from handover.models_outbox import ActionStatus, AuditRecord, StoredAction

__all__ = [
    "ActionStatus",
    "AuditRecord",
    "Base",
    "Conversation",
    "EventStatus",
    "Id",
    "StoredAction",
    "StoredDecision",
    "StoredEvent",
    "StoredMessage",
    "UTCDateTime",
    "utcnow",
]


class EventStatus(StrEnum):
    """Where a stored delivery is in its life.

    `stored`: waiting for the worker; `processed`: applied to its conversation;
    `ignored`: a recognised event Handoff drops on purpose (or an unsupported type);
    `dropped`: an echo of Handoff's own action; `failed`: unusable payload, kept with the
    JSON path and reason. Duplicate deliveries are counted, never stored.
    """

    STORED = "stored"
    PROCESSED = "processed"
    IGNORED = "ignored"
    DROPPED = "dropped"
    FAILED = "failed"


class StoredEvent(Base):
    """One webhook delivery as received (raw body until the retention purge)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("workspace", "platform", "delivery_id", name="uq_events_delivery"),
        Index("ix_events_status_received", "status", "received_at"),
        Index("ix_events_workspace_received", "workspace", "received_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(255))
    headers: Mapped[dict[str, Any]]
    body: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.STORED.value)
    error_path: Mapped[str | None] = mapped_column(Text)
    error_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None]
    swept_at: Mapped[datetime | None]
    conversation_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )


class Conversation(Base):
    """One platform conversation in one workspace: its handover state and episode."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("workspace", "platform", "external_id", name="uq_conversations_key"),
        Index("ix_conversations_email", "workspace", "customer_email"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="bot")
    episode: Mapped[int] = mapped_column(Integer, default=1)
    episode_started_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(Integer, default=0)
    customer_email: Mapped[str | None] = mapped_column(String(320))
    state_changed_at: Mapped[datetime | None]
    user_turns: Mapped[int] = mapped_column(Integer, default=0)
    """User messages of the current episode (for `escalation.pending_fallback`)."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StoredMessage(Base):
    """One message of a conversation (public transcript message or private note)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "external_id", name="uq_messages_external"),
        Index("ix_messages_transcript", "conversation_id", "episode", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    episode: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    event_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("events.id", ondelete="SET NULL"), index=True
    )


class StoredDecision(Base):
    """A detector decision or another state change, with the transition it caused.

    `cause` is `detection` (the detector's fields are set), `agent_reply` (a human
    teammate answered) or `hand_back` (the conversation was solved / closed).
    """

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_conversation", "conversation_id", "episode"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    episode: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    cause: Mapped[str] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    signal: Mapped[str | None] = mapped_column(String(32))
    sub_agent: Mapped[str | None] = mapped_column(String(100))
    target: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str | None] = mapped_column(Text)
    missing: Mapped[list[str]] = mapped_column(default=list)
    collected: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state_before: Mapped[str] = mapped_column(String(16))
    state_after: Mapped[str] = mapped_column(String(16))
    config_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
