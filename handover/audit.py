"""The audit log: one append-only row per decision and per action attempt.

A decision row records the signal, reason, evidence and the workspace's config version;
an action row the kind, result, attempts, the requests' `METHOD URL` (never bodies,
headers or tokens) and the error. `handoff audit` prints a conversation's trail;
`handoff forget` deletes it with the conversation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handover.models import AuditRecord, Conversation, StoredAction, StoredDecision


def record(
    session: Session, workspace: str, row: StoredAction, detail: dict[str, Any], now: datetime
) -> None:
    """Append the audit line of one action attempt."""
    session.add(
        AuditRecord(
            workspace=workspace,
            conversation_id=row.conversation_id,
            subject="action",
            subject_id=row.id,
            what=detail["result"],
            detail=detail,
            config_version=None,
            created_at=now,
        )
    )


def record_decision(
    session: Session, conversation: Conversation, row: StoredDecision, evidence: str | None
) -> None:
    """Append the audit line of a stored decision (`evidence` already masked)."""
    session.add(
        AuditRecord(
            workspace=conversation.workspace,
            conversation_id=conversation.id,
            subject="decision",
            subject_id=row.id,
            what=row.cause if row.status is None else row.status,
            detail={
                "signal": row.signal,
                "reason": row.reason,
                "evidence": evidence,
                "state": f"{row.state_before}->{row.state_after}",
                "episode": row.episode,
            },
            config_version=row.config_version,
            created_at=row.created_at,
        )
    )
