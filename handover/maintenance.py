"""Getting stored events to the queue, and keeping the store healthy and lawful.

Intake only stores an event; `feed` (run by every worker, `handover.worker.Feeder`) claims
events `stored` and never enqueued yet, and enqueues their `process_event` job. `sweep`
enqueues again events still `stored` `sweep_after_seconds` after they were last enqueued
(the queue lost the job, or a worker died before or during it). Both claim an event by
setting its `swept_at` (the time it was last handed to the queue) in one UPDATE that
re-checks the condition, so two workers never enqueue the same event in one period.
`purge` removes raw bodies after `retention_days`; `forget` deletes everything stored
about one customer's conversations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from handover.models import (
    Base,
    Conversation,
    EventStatus,
    StoredDecision,
    StoredEvent,
    StoredMessage,
    utcnow,
)
from handover.observability import BODIES_PURGED, ENQUEUE_FAILED, EVENTS_SWEPT, get_logger
from handover.store import Database

if TYPE_CHECKING:
    from handover.runtime import Runtime

SWEEP_BATCH = 500
FEED_BATCH = 200
"""Events `feed` claims at most at once."""
FEED_BACKLOG = 1000
"""`feed` claims nothing more while this many jobs wait in the queue (the rest wait in the
store, where they cost nothing and no `sweep` re-enqueues them before they are due)."""
log = get_logger("maintenance")


def feed(runtime: Runtime, now: datetime | None = None) -> int:
    """Enqueue `process_event` for events stored and never enqueued, oldest first.

    Return how many were enqueued. A queue that does not answer raises before anything
    is claimed; an enqueue that fails leaves the rest of the batch to `sweep`.
    """
    fresh = (StoredEvent.status == EventStatus.STORED.value, StoredEvent.swept_at.is_(None))
    oldest = select(StoredEvent.id).where(*fresh).order_by(StoredEvent.received_at)
    with runtime.db.read() as session:
        found = list(session.scalars(oldest.limit(FEED_BATCH)))
    room = FEED_BACKLOG - runtime.huey.pending_count() if found else 0
    if room <= 0:
        return 0
    claim = update(StoredEvent).where(StoredEvent.id.in_(found[:room]), *fresh)
    with runtime.db.write() as session:
        claimed = session.scalars(claim.values(swept_at=now or utcnow()).returning(StoredEvent.id))
        event_ids = sorted(claimed)
    return _enqueue_all(runtime, event_ids, "feed")


def sweep(runtime: Runtime, now: datetime | None = None) -> int:
    """Enqueue again events still `stored` after `sweep_after_seconds`; return how many.

    Events are claimed (`swept_at`) in one UPDATE, so concurrent sweepers never enqueue
    the same event twice in one period; one whose enqueue fails waits for the next period.
    """
    now = now or utcnow()
    cutoff = now - timedelta(seconds=runtime.settings.sweep_after_seconds)
    due = (
        StoredEvent.status == EventStatus.STORED.value,
        StoredEvent.received_at < cutoff,
        or_(StoredEvent.swept_at.is_(None), StoredEvent.swept_at < cutoff),
    )
    batch = select(StoredEvent.id).where(*due).order_by(StoredEvent.id).limit(SWEEP_BATCH)
    claim = update(StoredEvent).where(StoredEvent.id.in_(batch), *due).values(swept_at=now)
    with runtime.db.write() as session:
        claimed = sorted(session.scalars(claim.returning(StoredEvent.id)))
    enqueued = _enqueue_all(runtime, claimed, "sweep")
    EVENTS_SWEPT.inc(enqueued)
    return enqueued


def _enqueue_all(runtime: Runtime, event_ids: list[int], source: str) -> int:
    """Enqueue `process_event` for each id; stop at the first queue failure; return how many.

    The ids not enqueued stay claimed: `sweep` enqueues them when they are due.
    """
    enqueued = 0
    for event_id in event_ids:
        try:
            runtime.tasks.process_event(event_id)
        except Exception:
            log.exception(f"{source}.enqueue_failed", event_id=event_id)
            ENQUEUE_FAILED.inc(len(event_ids) - enqueued)
            break
        enqueued += 1
    if event_ids:
        log.info(f"{source}.done", claimed=len(event_ids), enqueued=enqueued)
    return enqueued


def purge(runtime: Runtime, now: datetime | None = None) -> int:
    """Remove raw bodies older than `retention_days` (rows and outcomes stay); return how many."""
    cutoff = (now or utcnow()) - timedelta(days=runtime.settings.retention_days)
    statement = (
        update(StoredEvent)
        .where(StoredEvent.received_at < cutoff, StoredEvent.body.is_not(None))
        .values(body=None)
    )
    with runtime.db.write() as session:
        purged = cast(CursorResult[Any], session.execute(statement)).rowcount
    BODIES_PURGED.inc(purged)
    log.info("purge.done", purged=purged, retention_days=runtime.settings.retention_days)
    return int(purged)


@dataclass(frozen=True)
class Forgotten:
    """What `forget` deleted: the conversations (`platform/id`) and the row counts."""

    conversations: tuple[str, ...]
    messages: int
    decisions: int
    events: int


def forget(
    db: Database,
    workspace: str,
    *,
    conversation: str | None = None,
    email: str | None = None,
    platform: str | None = None,
) -> Forgotten:
    """Delete a customer's conversations, messages, decisions and raw events in a workspace.

    Conversations are chosen by platform conversation id or by the customer email seen
    in their messages; with `email`, raw events whose body mentions the address go too.
    """
    if (conversation is None) == (email is None):
        raise ValueError("give exactly one of conversation or email")
    with db.write() as session:
        rows = list(session.scalars(_chosen(workspace, conversation, email, platform)))
        ids = [row.id for row in rows]
        decisions = _delete(session, StoredDecision, StoredDecision.conversation_id.in_(ids))
        messages = _delete(session, StoredMessage, StoredMessage.conversation_id.in_(ids))
        events = _delete(session, StoredEvent, _raw_events(workspace, ids, email))
        _delete(session, Conversation, Conversation.id.in_(ids))
    names = tuple(f"{row.platform}/{row.external_id}" for row in rows)
    log.info("forget.done", workspace=workspace, conversations=len(names), events=events)
    return Forgotten(names, messages=messages, decisions=decisions, events=events)


def _chosen(
    workspace: str, conversation: str | None, email: str | None, platform: str | None
) -> Select[Conversation]:
    """Select the conversations to forget: by platform id, or by the customer's email."""
    query = select(Conversation).where(Conversation.workspace == workspace)
    if platform is not None:
        query = query.where(Conversation.platform == platform)
    if conversation is not None:
        return query.where(Conversation.external_id == conversation)
    return query.where(Conversation.customer_email == (email or "").strip().lower())


def _raw_events(workspace: str, ids: list[int], email: str | None) -> ColumnElement[bool]:
    """Match the raw events to forget: the conversations', and those naming the email."""
    linked: ColumnElement[bool] = StoredEvent.conversation_id.in_(ids)
    if email is None:
        return linked
    mentions = func.lower(StoredEvent.body).contains(email.strip().lower(), autoescape=True)
    return or_(linked, and_(StoredEvent.workspace == workspace, mentions))


def _delete(session: Session, model: type[Base], where: ColumnElement[bool]) -> int:
    """Delete the rows of `model` matching `where`; return how many."""
    statement = delete(model).where(where).execution_options(synchronize_session=False)
    return int(cast(CursorResult[Any], session.execute(statement)).rowcount)
