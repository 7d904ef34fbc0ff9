"""Getting stored events to the queue, and keeping the store healthy and lawful.

Intake only stores an event; `feed` (run by every worker, `handover.worker.Feeder`) claims
events `stored` and never enqueued yet, and enqueues their `process_event` job. `sweep`
enqueues again events still `stored` `sweep_after_seconds` after they were last enqueued
(the queue lost the job, or a worker died before or during it). Both claim an event by
setting its `swept_at` (the time it was last handed to the queue) in one UPDATE that
re-checks the condition, so two workers never enqueue the same event in one period.
`purge` removes raw bodies after `retention_days`; `forget` (`handover.forget`, also
importable from here) deletes everything stored about one customer's conversations.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult

from handover.forget import Forgotten, forget
from handover.models import EventStatus, StoredEvent, utcnow
from handover.observability import BODIES_PURGED, ENQUEUE_FAILED, EVENTS_SWEPT, get_logger
from handover.raw_bodies import body_mentions, conversation_of, mentions

if TYPE_CHECKING:
    from handover.runtime import Runtime

__all__ = [
    "FEED_BACKLOG",
    "FEED_BATCH",
    "SWEEP_BATCH",
    "Forgotten",
    "body_mentions",
    "conversation_of",
    "feed",
    "forget",
    "mentions",
    "purge",
    "sweep",
]

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
