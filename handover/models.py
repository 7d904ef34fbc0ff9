"""The durable tables (SQLAlchemy 2 typed ORM): intake, decisions, outbox and audit.

`events` is the raw-delivery store and its UNIQUE(workspace, platform, delivery_id) is the
dedupe. `conversations` holds the handover state machine (`states.State`) and the episode
number; `messages` the normalized transcript (unique platform message id per
conversation); `decisions` every detector decision and state change, with the event that
caused it; `actions` the outbox of platform actions; `audit` the append-only audit log.
Times are stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Id = BigInteger().with_variant(Integer(), "sqlite")
"""Primary keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite."""


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


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC (naive UTC text on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive times; convert to UTC (and drop the offset on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return stored times as aware UTC datetimes."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of Handoff's tables."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


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


class ActionStatus(StrEnum):
    """Where an outbox action is.

    `planned`: waiting for its first try; `retry`: waiting for `next_attempt_at`;
    `running`: claimed by a worker until `lease_until`; `done`: the platform accepted it
    (or, in dry run, the requests were recorded); `skipped`: nothing to do (the team
    already has the conversation, or the platform has no such step); `cancelled`: the
    episode ended before it ran; `dead`: failed for good (a 4xx, or too many attempts),
    visible in the state API, the log and the `handoff_actions_dead_total` metric.
    """

    PLANNED = "planned"
    RETRY = "retry"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    DEAD = "dead"


class StoredAction(Base):
    """One outbox row: a platform action, unique per (conversation, episode, kind)."""

    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_actions_key"),
        Index("ix_actions_due", "status", "next_attempt_at"),
        Index("ix_actions_conversation", "conversation_id", "episode"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    episode: Mapped[int] = mapped_column(Integer)
    decision_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("decisions.id", ondelete="SET NULL")
    )
    idempotency_key: Mapped[str] = mapped_column(String(400))
    platform: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.PLANNED.value)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    ambiguous: Mapped[bool] = mapped_column(Boolean, default=False)
    """The last attempt may have reached the platform: look for the marker before posting."""
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(Integer)
    requests: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reference: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class AuditRecord(Base):
    """An append-only line of the audit log: a decision, or one attempt of an action."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_conversation", "conversation_id", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace: Mapped[str] = mapped_column(String(100))
    conversation_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    subject: Mapped[str] = mapped_column(String(16))
    """`decision` or `action`."""
    subject_id: Mapped[int | None] = mapped_column(Id)
    what: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]]
    config_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
