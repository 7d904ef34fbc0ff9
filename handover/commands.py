"""What the team does from outside the webhook flow: take a conversation, hand it back.

Used by the Slack buttons ("Take it", "Hand back") and the state API's
`POST .../handback`. Each records a decision row (cause `taken` / `hand_back`) and its
audit line, under the conversation's lock, like the worker does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.actions import ActionKind
from connectors.model import Platform
from handover import outbox
from handover.models import Conversation, StoredAction, StoredDecision
from handover.observability import TRANSITIONS
from handover.plan import Situation, plan_release
from handover.states import Cause, State
from handover.transitions import start_episode, transition


def find_conversation(
    session: Session, workspace: str, platform: str, external_id: str, *, lock: bool = False
) -> Conversation | None:
    """Return the stored conversation (locked for update when `lock`), or None."""
    query = select(Conversation).where(
        Conversation.workspace == workspace,
        Conversation.platform == platform,
        Conversation.external_id == external_id,
    )
    return session.scalars(query.with_for_update() if lock else query).first()


def take(session: Session, conversation: Conversation, who: str, now: datetime) -> bool:
    """A teammate took the conversation: `with_team`; False when it already was."""
    if conversation.state == State.WITH_TEAM.value:
        return False
    _record(session, conversation, Cause.TAKEN, State.WITH_TEAM, f"taken by {who}", now)
    return True


def hand_back(session: Session, conversation: Conversation, who: str, now: datetime) -> bool:
    """Hand the conversation back to the bot: a new episode in `bot`; False when it was idle.

    An episode in `bot` with no escalation is left as it is (nothing to hand back).
    """
    if conversation.state == State.BOT.value:
        return False
    row = _record(session, conversation, Cause.HAND_BACK, State.BOT, f"handed back by {who}", now)
    _release(session, conversation, row, now)
    start_episode(conversation, now)
    return True


def _release(
    session: Session, conversation: Conversation, decision: StoredDecision, now: datetime
) -> None:
    """Plan the removal of the ending episode's tags (`plan.plan_release`) into the outbox."""
    tagged = session.scalars(
        select(StoredAction).where(
            StoredAction.conversation_id == conversation.id,
            StoredAction.episode == conversation.episode,
            StoredAction.kind == ActionKind.TAG.value,
        )
    ).first()
    if tagged is None:
        return
    situation = Situation(
        conversation.workspace,
        Platform(conversation.platform),
        conversation.external_id,
        conversation.episode,
        (),
    )
    outbox.add_planned(
        session,
        plan_release(situation, tuple(tagged.payload.get("tags", ()))),
        conversation_id=conversation.id,
        episode=conversation.episode,
        decision_id=decision.id,
        dry_run=tagged.dry_run,
        now=now,
    )


def _record(
    session: Session,
    conversation: Conversation,
    cause: Cause,
    after: State,
    reason: str,
    now: datetime,
) -> StoredDecision:
    row = transition(session, conversation, cause, after, now, reason=reason)
    TRANSITIONS.labels(conversation.platform, after.value).inc()
    conversation.revision += 1
    conversation.updated_at = now
    return row
