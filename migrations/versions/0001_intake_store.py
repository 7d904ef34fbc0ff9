"""The intake store: events, conversations, messages, decisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str = "id", nullable: bool = False) -> sa.Column[int]:
    """A key column: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite."""
    return sa.Column(name, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[datetime]:
    """A UTC time column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int | None = None, nullable: bool = False) -> sa.Column[str]:
    """A string column (TEXT without a length)."""
    kind = sa.String(length) if length else sa.Text()
    return sa.Column(name, kind, nullable=nullable)


def upgrade() -> None:
    """Create the four tables and their indexes."""
    op.create_table(
        "conversations",
        _id(),
        _text("workspace", 100),
        _text("platform", 16),
        _text("external_id", 255),
        _text("state", 16),
        sa.Column("episode", sa.Integer(), nullable=False),
        _time("episode_started_at", nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        _text("customer_email", 320, nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace", "platform", "external_id", name="uq_conversations_key"),
    )
    op.create_index("ix_conversations_email", "conversations", ["workspace", "customer_email"])
    op.create_table(
        "events",
        _id(),
        _text("workspace", 100),
        _text("platform", 16),
        _text("delivery_id", 255),
        _text("event_type", 255),
        sa.Column("headers", sa.JSON(), nullable=False),
        _text("body", nullable=True),
        _time("received_at"),
        _text("status", 16),
        _text("error_path", nullable=True),
        _text("error_reason", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _time("processed_at", nullable=True),
        _time("swept_at", nullable=True),
        _id("conversation_id", nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace", "platform", "delivery_id", name="uq_events_delivery"),
    )
    op.create_index("ix_events_conversation_id", "events", ["conversation_id"])
    op.create_index("ix_events_status_received", "events", ["status", "received_at"])
    op.create_index("ix_events_workspace_received", "events", ["workspace", "received_at"])
    op.create_table(
        "decisions",
        _id(),
        _id("conversation_id"),
        sa.Column("episode", sa.Integer(), nullable=False),
        _id("event_id", nullable=True),
        _text("cause", 16),
        _text("status", 16, nullable=True),
        _text("signal", 32, nullable=True),
        _text("sub_agent", 100, nullable=True),
        _text("target", 100, nullable=True),
        _text("reason"),
        _text("evidence", nullable=True),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("collected", sa.JSON(), nullable=False),
        _text("state_before", 16),
        _text("state_after", 16),
        _time("created_at"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_decisions_conversation", "decisions", ["conversation_id", "episode"])
    op.create_index("ix_decisions_event_id", "decisions", ["event_id"])
    op.create_table(
        "messages",
        _id(),
        _id("conversation_id"),
        sa.Column("episode", sa.Integer(), nullable=False),
        _text("external_id", 255),
        _text("role", 16),
        _text("author_id", 255, nullable=True),
        _time("sent_at"),
        _text("text"),
        sa.Column("public", sa.Boolean(), nullable=False),
        _id("event_id", nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "external_id", name="uq_messages_external"),
    )
    op.create_index("ix_messages_event_id", "messages", ["event_id"])
    op.create_index("ix_messages_transcript", "messages", ["conversation_id", "episode", "sent_at"])


def downgrade() -> None:
    """Drop the four tables (and with them every stored event and decision)."""
    for table in ("messages", "decisions", "events", "conversations"):
        op.drop_table(table)
