"""The handover side: the actions outbox, the audit log, state timing and config version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str = "id", nullable: bool = False) -> sa.Column[int]:
    """A key column: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite."""
    return sa.Column(name, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[datetime]:
    """A UTC time column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(name: str, table: str, ondelete: str, nullable: bool) -> sa.Column[int]:
    """A foreign key column to `table.id`."""
    kind = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    return sa.Column(name, kind, sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable)


def upgrade() -> None:
    """Add the outbox and audit tables and the new conversation / decision columns."""
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(_time("state_changed_at", nullable=True))
        batch.add_column(sa.Column("user_turns", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("config_version", sa.String(32), nullable=True))
    op.create_table(
        "actions",
        _id(),
        _fk("conversation_id", "conversations", "CASCADE", nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        _fk("decision_id", "decisions", "SET NULL", nullable=True),
        sa.Column("idempotency_key", sa.String(400), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("ambiguous", sa.Boolean(), nullable=False),
        _time("next_attempt_at"),
        _time("lease_until", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("requests", sa.JSON(), nullable=False),
        sa.Column("reference", sa.String(255), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        _time("done_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key", name="uq_actions_key"),
    )
    op.create_index("ix_actions_due", "actions", ["status", "next_attempt_at"])
    op.create_index("ix_actions_conversation", "actions", ["conversation_id", "episode"])
    op.create_table(
        "audit",
        _id(),
        sa.Column("workspace", sa.String(100), nullable=False),
        _fk("conversation_id", "conversations", "CASCADE", nullable=True),
        sa.Column("subject", sa.String(16), nullable=False),
        _id("subject_id", nullable=True),
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("config_version", sa.String(32), nullable=True),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_conversation", "audit", ["conversation_id", "created_at"])


def downgrade() -> None:
    """Drop what `upgrade` added."""
    op.drop_index("ix_audit_conversation", table_name="audit")
    op.drop_table("audit")
    op.drop_index("ix_actions_conversation", table_name="actions")
    op.drop_index("ix_actions_due", table_name="actions")
    op.drop_table("actions")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("config_version")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("user_turns")
        batch.drop_column("state_changed_at")
