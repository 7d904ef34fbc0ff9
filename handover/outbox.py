"""The actions outbox: planned platform actions stored with the decision, run exactly once.

Rows are inserted in the same transaction as the escalation decision (`add_planned`), so
an escalation is never decided without its actions, and the UNIQUE idempotency key makes a
second plan for the episode a no-op. A row's life:

- `feed` (every worker's feeder thread) hands due rows to the queue, setting `lease_until`
  so the next look does not hand them over again while the job waits;
- `claim` (the job) moves one row to `running` with attempts + 1 and a run lease, and
  commits that BEFORE anything is sent: a crash after the platform accepted the request
  leaves a `running` row whose lease expires, and `feed` (or a direct `claim`) takes it
  over marked `ambiguous`;
- `act.finish` records the outcome: `done` / `skipped` / `cancelled`, `retry` at
  `next_attempt_at` (exponential backoff with jitter, or the platform's Retry-After),
  or `dead` (a 4xx, or `max_attempts` reached).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, or_, select, update

from connectors.actions import Action, ActionKind
from connectors.model import Platform
from handover.models import ActionStatus, Conversation, StoredAction, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from handover.runtime import Runtime

FEED_BATCH = 100
QUEUE_LEASE = timedelta(seconds=120)
"""How long a row handed to the queue is left alone by `feed`."""
RUN_LEASE = timedelta(seconds=300)
"""How long a claimed row is someone's (well over a run's worst case: a few requests of
10 s each); after that a crashed or hung run is taken over, as ambiguous."""
BACKOFF_BASE, BACKOFF_CAP = 2.0, 300.0
OPEN = (ActionStatus.PLANNED.value, ActionStatus.RETRY.value)


@dataclass(frozen=True)
class Claimed:
    """A claimed row: the action to run and what the run needs to know."""

    id: int
    workspace: str
    conversation_id: int
    episode: int
    action: Action
    attempts: int
    ambiguous: bool
    dry_run: bool
    conversation_state: str | None
    """The conversation's state when claimed (None: it was deleted)."""
    conversation_episode: int


def add_planned(
    session: Session,
    actions: Sequence[Action],
    *,
    conversation_id: int,
    episode: int,
    decision_id: int | None,
    dry_run: bool,
    now: datetime,
) -> list[StoredAction]:
    """Store planned actions whose key is new (inside the caller's transaction)."""
    keys = [action.key for action in actions]
    known = set(
        session.scalars(
            select(StoredAction.idempotency_key).where(StoredAction.idempotency_key.in_(keys))
        )
    )
    rows = [
        _row(action, conversation_id, episode, decision_id, dry_run, now)
        for action in actions
        if action.key not in known
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _row(
    action: Action,
    conversation_id: int,
    episode: int,
    decision_id: int | None,
    dry_run: bool,
    now: datetime,
) -> StoredAction:
    return StoredAction(
        conversation_id=conversation_id,
        episode=episode,
        decision_id=decision_id,
        idempotency_key=action.key,
        platform=action.platform.value,
        kind=action.kind.value,
        payload=to_payload(replace(action, planned_at=action.planned_at or now.timestamp())),
        status=ActionStatus.PLANNED.value,
        dry_run=dry_run,
        attempts=0,
        ambiguous=False,
        next_attempt_at=now,
        requests=[],
        created_at=now,
        updated_at=now,
    )


def to_payload(action: Action) -> dict[str, Any]:
    """Return the action as JSON-ready data (stored in the row)."""
    data = asdict(action)
    data.update(
        kind=action.kind.value,
        platform=action.platform.value,
        tags=list(action.tags),
        target=dict(action.target),
        links=dict(action.links),
    )
    return data


def from_payload(data: dict[str, Any]) -> Action:
    """Rebuild the stored action."""
    return Action(
        kind=ActionKind(data["kind"]),
        platform=Platform(data["platform"]),
        conversation_id=data["conversation_id"],
        key=data["key"],
        tags=tuple(data.get("tags", ())),
        text=data.get("text", ""),
        target=dict(data.get("target", {})),
        marker=data.get("marker", ""),
        links=dict(data.get("links", {})),
        planned_at=float(data.get("planned_at", 0.0)),
        episode=int(data.get("episode", 0)),
    )


def _abandoned(now: datetime) -> Any:
    """Rows whose run lease expired while `running`: the worker died or hung mid-send."""
    return and_(StoredAction.status == ActionStatus.RUNNING.value, StoredAction.lease_until < now)


def _due(now: datetime) -> Any:
    """Rows to hand to the queue: open, due and not handed over lately; or abandoned."""
    waiting = and_(
        StoredAction.status.in_(OPEN),
        StoredAction.next_attempt_at <= now,
        or_(StoredAction.lease_until.is_(None), StoredAction.lease_until < now),
    )
    return or_(waiting, _abandoned(now))


def feed(runtime: Runtime, now: datetime | None = None) -> int:
    """Hand due actions to the queue, one `run_actions` job per conversation; return how many.

    One job runs a conversation's actions in order (tag, note, assignment, reply) with one
    claim and one finish transaction for all of them.
    """
    now = now or utcnow()
    with runtime.db.read() as session:
        due = select(StoredAction.id).where(_due(now)).order_by(StoredAction.id)
        found = list(session.scalars(due.limit(FEED_BATCH)))
    if not found:
        return 0
    # an abandoned row goes back to `retry`, marked ambiguous: its send may have happened
    hand_over = (
        update(StoredAction)
        .where(StoredAction.id.in_(found), _due(now))
        .values(
            lease_until=now + QUEUE_LEASE,
            ambiguous=or_(StoredAction.ambiguous, _abandoned(now)),
            status=case((_abandoned(now), ActionStatus.RETRY.value), else_=StoredAction.status),
        )
    )
    with runtime.db.write() as session:
        handed = session.execute(hand_over.returning(StoredAction.id, StoredAction.conversation_id))
        by_conversation: dict[int, list[int]] = {}
        for action_id, conversation_id in handed:
            by_conversation.setdefault(conversation_id, []).append(action_id)
    for action_ids in by_conversation.values():
        runtime.tasks.run_actions(sorted(action_ids))
    return sum(len(ids) for ids in by_conversation.values())


def claim(runtime: Runtime, action_id: int, now: datetime | None = None) -> Claimed | None:
    """Take one row for a run (committed before sending); None when it is not ours to run."""
    claimed = claim_many(runtime, [action_id], now)
    return claimed[0] if claimed else None


def claim_many(
    runtime: Runtime, action_ids: Sequence[int], now: datetime | None = None
) -> list[Claimed]:
    """Take the rows that are ours to run, in id order, in one transaction (before sending).

    Open rows are taken whatever their queue lease (that lease only keeps `feed` from
    handing them over twice); a `running` one only once its run lease expired.
    """
    now = now or utcnow()
    takeable = or_(StoredAction.status.in_(OPEN), _abandoned(now))
    query = select(StoredAction).where(StoredAction.id.in_(action_ids), takeable)
    with runtime.db.write() as session:
        rows = session.scalars(query.order_by(StoredAction.id).with_for_update())
        return [_take(session, row, now) for row in rows if row.next_attempt_at <= now]


def _take(session: Session, row: StoredAction, now: datetime) -> Claimed:
    """Mark one row running (attempt + 1, run lease) and return what the run needs."""
    row.ambiguous = row.ambiguous or row.status == ActionStatus.RUNNING.value
    row.status, row.attempts = ActionStatus.RUNNING.value, row.attempts + 1
    row.lease_until, row.updated_at = now + RUN_LEASE, now
    conversation = session.get(Conversation, row.conversation_id)
    return Claimed(
        row.id,
        conversation.workspace if conversation else "",
        row.conversation_id,
        row.episode,
        from_payload(row.payload),
        row.attempts,
        row.ambiguous,
        row.dry_run,
        conversation.state if conversation else None,
        conversation.episode if conversation else 0,
    )


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before the next try: exponential in `attempts`, capped, with jitter."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)
