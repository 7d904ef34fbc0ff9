"""Recording a state change: the decision row, the conversation's new state, the audit line.

Used by the worker (`apply`: detector decisions, agent replies, solved/closed) and by the
team's commands (`commands`: Take it, hand-back), so every change of state is stored the
same way. A detector decision's audit line is written once its fields are filled
(`escalate.audit_decision`, with sensitive values masked), so it passes `audit=False`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from handover.audit import record_decision
from handover.models import Conversation, StoredDecision
from handover.states import Cause, State


def transition(
    session: Session,
    conversation: Conversation,
    cause: Cause,
    after: State,
    now: datetime,
    *,
    event_id: int | None = None,
    reason: str = "",
    audit: bool = True,
) -> StoredDecision:
    """Store a decision row for `conversation` and move it to `after`; return the row."""
    row = StoredDecision(
        conversation_id=conversation.id,
        episode=conversation.episode,
        event_id=event_id,
        cause=cause.value,
        reason=reason,
        missing=[],
        collected={},
        state_before=conversation.state,
        state_after=after.value,
        created_at=now,
    )
    session.add(row)
    if conversation.state != after.value:
        conversation.state_changed_at = now
        if after is State.COLLECTING:
            conversation.user_turns = 0
    conversation.state = after.value
    if audit:
        session.flush()
        record_decision(session, conversation, row, None)
    return row


def start_episode(conversation: Conversation, started_at: datetime) -> None:
    """Begin the conversation's next episode (after a hand-back): detection starts afresh."""
    conversation.episode += 1
    conversation.episode_started_at = started_at
    conversation.user_turns = 0
