"""What the state API answers about one conversation: `{state, should_reply, decision, actions}`.

Any bot can ask before replying. `decision` is the latest detector decision of the
current episode (collected values of sensitive details masked); `actions` the outbox rows
of the current episode (and any dead letter of earlier ones), each with its status,
attempts, last error and, in dry run, the exact requests that would have been sent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from connectors.actions import ActionKind
from escalation.decision import Status
from escalation.policy import Policy
from handover.models import ActionStatus, Conversation, StoredAction, StoredDecision
from handover.notes import mask_collected, mask_text
from handover.states import Cause, State, should_reply


def conversation_state(
    session: Session, conversation: Conversation, policy: Policy
) -> dict[str, Any]:
    """Return the state API's JSON object for a stored conversation."""
    state = State(conversation.state)
    return {
        "workspace": conversation.workspace,
        "platform": conversation.platform,
        "conversation_id": conversation.external_id,
        "state": state.value,
        "episode": conversation.episode,
        "should_reply": should_reply(state, policy.model.escalation.suspend_afterwards),
        "decision": _decision(session, conversation, policy),
        "actions": [_action(row) for row in _actions(session, conversation)],
    }


def _decision(
    session: Session, conversation: Conversation, policy: Policy
) -> dict[str, Any] | None:
    query = (
        select(StoredDecision)
        .where(
            StoredDecision.conversation_id == conversation.id,
            StoredDecision.episode == conversation.episode,
            StoredDecision.cause == Cause.DETECTION.value,
        )
        .order_by(StoredDecision.id.desc())
        .limit(1)
    )
    row = session.scalars(query).first()
    if row is None:
        return None
    collected = {str(k): str(v) for k, v in row.collected.items()}
    return {
        "status": row.status,
        "escalate": row.status == Status.ESCALATE.value,
        "signal": row.signal,
        "sub_agent": row.sub_agent,
        "missing": list(row.missing),
        "collected": {  # a detail's value may quote a sensitive one: mask inside values too
            name: mask_text(value, collected, policy, row.sub_agent)
            for name, value in mask_collected(collected, policy, row.sub_agent).items()
        },
        "target": row.target,
        "reason": row.reason,
        "evidence": mask_text(row.evidence or "", collected, policy, row.sub_agent) or None,
        "config_version": row.config_version,
        "decided_at": row.created_at.isoformat(),
    }


def _actions(session: Session, conversation: Conversation) -> list[StoredAction]:
    query = (
        select(StoredAction)
        .where(
            StoredAction.conversation_id == conversation.id,
            or_(
                StoredAction.episode == conversation.episode,
                StoredAction.status == ActionStatus.DEAD.value,
                and_(  # what the last hand-back did (e.g. the Zendesk tags removed)
                    StoredAction.episode == conversation.episode - 1,
                    StoredAction.kind == ActionKind.RELEASE.value,
                ),
            ),
        )
        .order_by(StoredAction.id)
    )
    return list(session.scalars(query))


def _action(row: StoredAction) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "status": row.status,
        "episode": row.episode,
        "attempts": row.attempts,
        "dry_run": row.dry_run,
        "idempotency_key": row.idempotency_key,
        "last_error": row.last_error,
        "last_status": row.last_status,
        "reference": None if row.status == ActionStatus.SKIPPED else row.reference,
        "skipped_because": row.reference if row.status == ActionStatus.SKIPPED else None,
        "text": row.payload.get("text") or None,
        "requests": row.requests,
        "next_attempt_at": row.next_attempt_at.isoformat(),
    }
