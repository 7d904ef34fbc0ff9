"""The outbox of platform actions (`actions`) and the append-only audit log (`audit`).

Both tables are on `handover.models_base.Base`, and `handover.models` imports them, so
`Base.metadata` (what Alembic compares) always has them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from handover.models_base import Base, Id


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
