"""Apply one normalized event to its locked conversation: messages, detection, transitions.

Called by the worker inside a write transaction. After new user or bot messages of the
current episode the detector decides on the episode's transcript and the decision is
stored with the transition it causes (`states`); a new agent reply moves the conversation
to `with_team`; an event that closes the conversation hands it back (new episode, `bot`).
A transition into `escalated` plans the episode's platform actions into the outbox in
the same transaction (`handover.escalate`); a conversation stuck in `collecting` is
escalated anyway when the workspace's `escalation.pending_fallback` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from connectors.model import Event, EventKind, Role
from escalation.case import Case
from escalation.decision import Decision
from escalation.policy import Policy
from handover import escalate
from handover.conversations import customer_email, insert_messages, lock_conversation, transcript
from handover.models import Conversation, StoredDecision, StoredMessage
from handover.states import Cause, State, after_agent_reply, after_detection, after_hand_back
from handover.transitions import start_episode, transition

Detect = Callable[[Case], Decision]


@dataclass(frozen=True)
class Rules:
    """What applying needs of the workspace: its detector and its policy."""

    detect: Detect
    policy: Policy


DETECTED_ROLES = frozenset({Role.USER.value, Role.BOT.value})


@dataclass
class Applied:
    """What applying one event did: how many messages were new, which rows were recorded."""

    conversation: Conversation
    new_messages: int = 0
    decisions: list[StoredDecision] = field(default_factory=list)


def apply_event(
    session: Session, event: Event, event_id: int, rules: Rules, now: datetime
) -> Applied:
    """Apply `event` (stored as `event_id`) to its conversation, locked for the transaction."""
    conversation = lock_conversation(session, event.conversation, now)
    applied = Applied(conversation)
    new = insert_messages(session, conversation, event, event_id)
    applied.new_messages = len(new)
    current = [m for m in new if m.public and m.episode == conversation.episode]
    conversation.user_turns += sum(m.role == Role.USER.value for m in current)
    if any(m.role == Role.AGENT.value for m in current):
        _agent_reply(session, applied, event_id, now, "a human teammate replied")
    if _assigned_by_a_person(event, rules.policy):
        _agent_reply(session, applied, event_id, now, f"assigned by teammate {event.actor_id}")
    if not event.closes and any(m.role in DETECTED_ROLES for m in current):
        _detect(session, applied, event_id, rules, now)
    if (
        event.closes
        and _hand_back(session, applied, event_id, event.occurred_at, now)
        and _adopt_later_messages(session, conversation, event_id, event.occurred_at)
    ):
        _detect(session, applied, event_id, rules, now)
    conversation.customer_email = conversation.customer_email or customer_email(event.messages)
    conversation.revision += 1
    conversation.updated_at = now
    return applied


def redecide(session: Session, conversation: Conversation, rules: Rules, now: datetime) -> Applied:
    """Decide the locked conversation's episode again without a new event (periodic checks)."""
    applied = Applied(conversation)
    _detect(session, applied, None, rules, now)
    conversation.revision += 1
    conversation.updated_at = now
    return applied


def _record(
    session: Session,
    applied: Applied,
    event_id: int | None,
    cause: Cause,
    after: State,
    now: datetime,
    reason: str = "",
) -> StoredDecision:
    """Store a decision row for the conversation and move it to `after`.

    Detector decisions are audited once their fields are filled (`_detect`); the other
    state changes here and now.
    """
    row = transition(
        session,
        applied.conversation,
        cause,
        after,
        now,
        event_id=event_id,
        reason=reason,
        audit=cause is not Cause.DETECTION,
    )
    applied.decisions.append(row)
    return row


def _agent_reply(
    session: Session, applied: Applied, event_id: int, now: datetime, reason: str
) -> None:
    """A human teammate answered or took it: `with_team`, recorded when the state changes."""
    before = State(applied.conversation.state)
    after = after_agent_reply(before)
    if after is not before:
        _record(session, applied, event_id, Cause.AGENT_REPLY, after, now, reason)


def _assigned_by_a_person(event: Event, policy: Policy) -> bool:
    """An assignment made by a teammate (not Handoff, not the bot, not an automatic rule)."""
    if event.kind is not EventKind.ASSIGNED or event.from_self or not event.actor_id:
        return False
    settings = getattr(policy.model.platforms, event.conversation.platform.value, None)
    return settings is None or event.actor_id not in settings.bot_ids


def _detect(
    session: Session, applied: Applied, event_id: int | None, rules: Rules, now: datetime
) -> None:
    """Decide the current episode, store the decision and plan an escalation's actions."""
    conversation = applied.conversation
    case_id = f"{conversation.platform}/{conversation.workspace}/{conversation.external_id}"
    messages = transcript(session, conversation)
    decision = rules.detect(Case(f"{case_id}#{conversation.episode}", messages))
    decision = escalate.with_fallback(conversation, decision, rules.policy, now)
    before = State(conversation.state)
    after = after_detection(before, decision.status)
    row = _record(session, applied, event_id, Cause.DETECTION, after, now)
    row.status = decision.status.value
    row.signal = decision.signal.value if decision.signal else None
    row.sub_agent = decision.sub_agent
    row.target = decision.target
    row.reason = decision.reason
    row.evidence = decision.evidence
    row.missing = list(decision.missing)
    row.collected = dict(decision.collected)
    row.config_version = rules.policy.version
    session.flush()
    escalate.audit_decision(session, conversation, row, decision, rules.policy)
    if after is State.ESCALATED and before is not State.ESCALATED:
        escalate.plan_actions(session, conversation, row, decision, messages, rules.policy, now)


def _hand_back(
    session: Session, applied: Applied, event_id: int, closed_at: datetime, now: datetime
) -> bool:
    """Solved or closed: start a new episode in `bot`.

    False when the episode was empty, or when the close happened before the current
    episode began (a late webhook for a hand-back that already took place). Unlike the
    team's hand-back (`commands.hand_back`), nothing is planned on the platform: a solved
    Zendesk ticket's tags are removed by the admin's trigger (README).
    """
    conversation = applied.conversation
    started = conversation.episode_started_at
    if started is not None and closed_at < started:
        return False
    if conversation.state == State.BOT.value and not _episode_has_messages(session, conversation):
        return False
    after = after_hand_back(State(conversation.state))
    reason = "the conversation was solved or closed"
    _record(session, applied, event_id, Cause.HAND_BACK, after, now, reason)
    start_episode(conversation, closed_at)
    return True


def _adopt_later_messages(
    session: Session, conversation: Conversation, event_id: int, closed_at: datetime
) -> bool:
    """Move messages sent after the hand-back into the new episode (the close came late).

    The closing event's own messages stay in the episode they close. Return whether a
    user or bot message moved, so that the new episode is decided.
    """
    query = select(StoredMessage).where(
        StoredMessage.conversation_id == conversation.id,
        StoredMessage.episode == conversation.episode - 1,
        StoredMessage.sent_at > closed_at,
        or_(StoredMessage.event_id.is_(None), StoredMessage.event_id != event_id),
    )
    later = list(session.scalars(query))
    for message in later:
        message.episode = conversation.episode
    session.flush()
    return any(m.public and m.role in DETECTED_ROLES for m in later)


def _episode_has_messages(session: Session, conversation: Conversation) -> bool:
    """Tell whether the current episode has any stored message."""
    query = select(
        exists().where(
            StoredMessage.conversation_id == conversation.id,
            StoredMessage.episode == conversation.episode,
        )
    )
    return bool(session.scalar(query))
