"""What happens in the worker's transaction when a decision is stored (see `apply`).

- `with_fallback`: a conversation stuck in `collecting` (the user keeps writing but does
  not give a detail, or too much time passed) is escalated anyway when
  `escalation.pending_fallback` says so; the note then lists what is missing.
- `plan_actions`: on entering `escalated`, `handover.plan` turns the decision into
  platform actions, stored in the outbox with the decision (exactly once per episode).
- `audit_decision`: the decision's audit line, sensitive values masked.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from connectors.model import Platform
from escalation.case import Message
from escalation.decision import Decision, Signal, Status
from escalation.policy import Policy
from handover import outbox
from handover.audit import record_decision
from handover.models import Conversation, StoredDecision
from handover.notes import mask_text
from handover.plan import Situation, plan_escalation
from handover.states import State


def fallback_due(conversation: Conversation, policy: Policy, now: datetime) -> str | None:
    """Return why a `collecting` conversation must be escalated anyway, or None."""
    rule = policy.model.escalation.pending_fallback
    if rule is None or conversation.state != State.COLLECTING.value:
        return None
    turns = rule.after_user_turns
    if turns is not None and conversation.user_turns >= turns:
        return f"the user wrote {conversation.user_turns} more times without the details"
    since = conversation.state_changed_at
    minutes = rule.after_minutes
    if minutes is not None and since is not None and now - since >= timedelta(minutes=minutes):
        return f"the details were still missing after {minutes} minutes"
    return None


def with_fallback(
    conversation: Conversation, decision: Decision, policy: Policy, now: datetime
) -> Decision:
    """Turn a still-pending decision into an escalation when the fallback is due."""
    if decision.status is not Status.PENDING:
        return decision
    why = fallback_due(conversation, policy, now)
    if why is None:
        return decision
    missing = ", ".join(decision.missing) or "nothing"
    return replace(
        decision,
        status=Status.ESCALATE,
        signal=decision.signal or Signal.WORKFLOW,
        reason=f"Escalated without every detail: {why} (still missing: {missing}).",
    )


def plan_actions(
    session: Session,
    conversation: Conversation,
    row: StoredDecision,
    decision: Decision,
    messages: tuple[Message, ...],
    policy: Policy,
    now: datetime,
) -> int:
    """Plan the escalation's actions into the outbox; return how many rows were new."""
    situation = Situation(
        conversation.workspace,
        Platform(conversation.platform),
        conversation.external_id,
        conversation.episode,
        messages,
    )
    rows = outbox.add_planned(
        session,
        plan_escalation(situation, decision, policy),
        conversation_id=conversation.id,
        episode=conversation.episode,
        decision_id=row.id,
        dry_run=policy.model.handover.dry_run,
        now=now,
    )
    return len(rows)


def audit_decision(
    session: Session,
    conversation: Conversation,
    row: StoredDecision,
    decision: Decision,
    policy: Policy,
) -> None:
    """Append the decision's audit line with sensitive values masked."""
    evidence = mask_text(decision.evidence or "", decision.collected, policy, decision.sub_agent)
    record_decision(session, conversation, row, evidence or None)
