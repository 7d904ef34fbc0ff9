"""The periodic half of `escalation.pending_fallback`: time runs out while nobody writes.

`after_user_turns` is checked when a user message arrives (`escalate.with_fallback`);
`after_minutes` also needs a clock, so `escalate_stuck` (a periodic job, every minute)
looks for conversations in `collecting` longer than the workspace allows and decides them
again under their lock: the fallback turns the still-pending decision into an escalation,
and the outbox gets its actions, the note listing what is missing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from handover.apply import Rules, redecide
from handover.conversations import lock_conversation_by_id
from handover.models import Conversation, utcnow
from handover.observability import count_decisions, get_logger
from handover.states import State

if TYPE_CHECKING:
    from handover.runtime import Runtime

BATCH = 100
log = get_logger("fallback")


def escalate_stuck(runtime: Runtime, now: datetime | None = None) -> int:
    """Decide again the conversations stuck in `collecting`; return how many escalated."""
    now = now or utcnow()
    escalated = 0
    for workspace in runtime.workspaces.names():
        rule = runtime.workspaces.policy(workspace).model.escalation.pending_fallback
        if rule is None or rule.after_minutes is None:
            continue
        cutoff = now - timedelta(minutes=rule.after_minutes)
        for conversation_id in _stuck(runtime, workspace, cutoff):
            escalated += _redecide(runtime, workspace, conversation_id, now)
    return escalated


def _stuck(runtime: Runtime, workspace: str, cutoff: datetime) -> list[int]:
    query = (
        select(Conversation.id)
        .where(
            Conversation.workspace == workspace,
            Conversation.state == State.COLLECTING.value,
            Conversation.state_changed_at <= cutoff,
        )
        .order_by(Conversation.state_changed_at)
        .limit(BATCH)
    )
    with runtime.db.read() as session:
        return list(session.scalars(query))


def _redecide(runtime: Runtime, workspace: str, conversation_id: int, now: datetime) -> int:
    rules = Rules(runtime.detector(workspace).decide, runtime.workspaces.policy(workspace))
    with runtime.db.write() as session:
        conversation = lock_conversation_by_id(session, conversation_id)
        if conversation is None or conversation.state != State.COLLECTING.value:
            return 0
        applied = redecide(session, conversation, rules, now)
        moved = conversation.state == State.ESCALATED.value
        platform = conversation.platform
    count_decisions(platform, applied.decisions)
    log.info(
        "fallback.decided",
        conversation_id=conversation_id,
        escalated=moved,
        decisions=[d.status for d in applied.decisions],
    )
    return int(moved)
