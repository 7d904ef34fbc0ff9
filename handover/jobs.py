"""The worker's jobs and their huey tasks: events, actions and the periodic ones.

`process_event` and `run_action` (`handover.act`); periodic `sweep`, `purge` and
`pending_fallback` (`handover.fallback`).

`process_event` is idempotent: an event that is no longer `stored` is left alone, so a
second delivery of the same job (sweeper, retry, two workers) changes nothing. The body is
parsed and normalized outside the write transaction; the transaction re-checks the
event's status under a lock, applies it to its conversation (locked too) and marks it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from huey import crontab  # type: ignore[import-untyped]

from connectors.model import Context, Platform
from handover import act, fallback, interpret, maintenance, outbox
from handover.apply import Applied, Rules, apply_event
from handover.models import EventStatus, StoredEvent, utcnow
from handover.observability import (
    EVENTS_FAILED,
    EVENTS_PROCESSED,
    count_decisions,
    get_logger,
)
from handover.states import State
from handover.store import lock_event
from handover.workspaces import UnknownWorkspace

if TYPE_CHECKING:
    from handover.runtime import Runtime

MAX_ATTEMPTS = 5
"""Processing errors (not bad payloads) after which an event is marked failed."""
TASK_RETRIES, TASK_RETRY_DELAY = 3, 2
log = get_logger("jobs")


@dataclass(frozen=True)
class Tasks:
    """The huey task handles registered on one runtime's queue (calling one enqueues it)."""

    process_event: Any
    run_actions: Any
    sweep: Any
    purge: Any
    fallback: Any


def register(runtime: Runtime) -> Tasks:
    """Register the tasks on `runtime.huey`, bound to `runtime`."""
    huey = runtime.huey

    def process_event_task(event_id: int) -> None:
        process_event(runtime, event_id)

    def run_actions_task(action_ids: list[int]) -> None:
        act.run_actions(runtime, action_ids)

    def sweep_task() -> None:
        maintenance.sweep(runtime)

    def purge_task() -> None:
        maintenance.purge(runtime)

    def fallback_task() -> None:
        fallback.escalate_stuck(runtime)

    return Tasks(
        process_event=huey.task(
            retries=TASK_RETRIES, retry_delay=TASK_RETRY_DELAY, name="process_event"
        )(process_event_task),
        run_actions=huey.task(name="run_actions")(run_actions_task),
        sweep=huey.periodic_task(crontab(minute="*"), name="sweep")(sweep_task),
        purge=huey.periodic_task(crontab(minute="7"), name="purge")(purge_task),
        fallback=huey.periodic_task(crontab(minute="*"), name="pending_fallback")(fallback_task),
    )


@dataclass(frozen=True)
class _Snapshot:
    """The stored fields processing needs, read before the write transaction."""

    workspace: str
    platform: Platform
    delivery_id: str
    body: str | None


def process_event(runtime: Runtime, event_id: int) -> EventStatus | None:
    """Process one stored event; return its new status, or None when it was not `stored`."""
    snapshot = _read(runtime, event_id)
    if snapshot is None:
        return None
    try:
        return _apply(runtime, event_id, snapshot, _interpret(runtime, snapshot))
    except Exception as exc:
        _record_error(runtime, event_id, exc)
        raise


def _read(runtime: Runtime, event_id: int) -> _Snapshot | None:
    """Return what processing needs of a `stored` event, or None (unknown or done)."""
    with runtime.db.read() as session:
        row = session.get(StoredEvent, event_id)
        if row is None or row.status != EventStatus.STORED:
            log.info("event.skipped", event_id=event_id, status=row.status if row else None)
            return None
        return _Snapshot(row.workspace, Platform(row.platform), row.delivery_id, row.body)


def _interpret(runtime: Runtime, snapshot: _Snapshot) -> interpret.Outcome:
    """Normalize the body with the workspace's identities on that platform."""
    try:
        settings = runtime.workspaces.platform(snapshot.workspace, snapshot.platform.value)
    except UnknownWorkspace:
        where = f"{snapshot.workspace}/{snapshot.platform.value}"
        return interpret.failed("$", f"workspace platform {where} is not configured")
    ids = interpret.identities(settings)
    groups = getattr(settings, "teammate_usergroups", ())
    if groups:
        members = runtime.teammates.members(runtime.clients, snapshot.workspace, groups)
        ids = replace(ids, teammate_ids=ids.teammate_ids | members)
    ctx = Context(snapshot.workspace, snapshot.delivery_id, ids)
    return interpret.interpret(snapshot.platform, snapshot.body, ctx)


def _apply(
    runtime: Runtime, event_id: int, snapshot: _Snapshot, outcome: interpret.Outcome
) -> EventStatus | None:
    """In one write transaction: re-check the event, apply it, record its final status."""
    now = utcnow()
    with runtime.db.write() as session:
        row = lock_event(session, event_id)
        if row is None or row.status != EventStatus.STORED:
            return None
        applied: Applied | None = None
        if outcome.status is EventStatus.PROCESSED and outcome.event is not None:
            rules = Rules(
                runtime.detector(snapshot.workspace).decide,
                runtime.workspaces.policy(snapshot.workspace),
            )
            applied = apply_event(session, outcome.event, event_id, rules, now)
            row.conversation_id = applied.conversation.id
        row.status = outcome.status.value
        row.error_path, row.error_reason = outcome.error_path, outcome.error_reason
        row.attempts += 1
        row.processed_at = now
    _report(event_id, snapshot, outcome, applied)
    if applied is not None and _escalated(applied):
        _hand_over_actions(runtime)
    return outcome.status


def _escalated(applied: Applied) -> bool:
    """Tell whether this event moved its conversation into `escalated` (planning actions)."""
    escalated = State.ESCALATED.value
    return any(d.state_after == escalated != d.state_before for d in applied.decisions)


def _hand_over_actions(runtime: Runtime) -> None:
    """Queue the just-planned actions now rather than at the feeder's next look.

    The planned rows are already committed, so a failure here only delays them until the
    feeder's next look (logged, not raised).
    """
    try:
        outbox.feed(runtime)
    except Exception as exc:
        log.warning("actions.feed_failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")


def _report(
    event_id: int, snapshot: _Snapshot, outcome: interpret.Outcome, applied: Applied | None
) -> None:
    """Count and log what processing did (ids, statuses and error paths only)."""
    platform = snapshot.platform.value
    fields = {"event_id": event_id, "workspace": snapshot.workspace, "platform": platform}
    if outcome.status is EventStatus.FAILED:
        EVENTS_FAILED.labels(platform).inc()
        log.warning("event.failed", path=outcome.error_path, reason=outcome.error_reason, **fields)
        return
    EVENTS_PROCESSED.labels(platform, outcome.status.value).inc()
    if applied is None:
        log.info("event." + outcome.status.value, reason=outcome.error_reason, **fields)
        return
    count_decisions(platform, applied.decisions)
    transitions = [f"{d.state_before}->{d.state_after}" for d in applied.decisions]
    decided = [d.status for d in applied.decisions if d.status]
    log.info(
        "event.processed",
        conversation_id=applied.conversation.id,
        episode=applied.conversation.episode,
        new_messages=applied.new_messages,
        decisions=decided,
        transitions=transitions,
        **fields,
    )


def _record_error(runtime: Runtime, event_id: int, exc: Exception) -> None:
    """Count a processing error on the event; after `MAX_ATTEMPTS` mark it failed."""
    reason = f"{type(exc).__name__}: {str(exc)[:500]}"
    log.exception("event.error", event_id=event_id)
    try:
        with runtime.db.write() as session:
            row = lock_event(session, event_id)
            if row is None or row.status != EventStatus.STORED:
                return
            row.attempts += 1
            row.error_reason = reason
            if row.attempts >= MAX_ATTEMPTS:
                row.status, row.error_path = EventStatus.FAILED.value, "$"
                row.error_reason = f"gave up after {row.attempts} attempts: {reason}"
                EVENTS_FAILED.labels(row.platform).inc()
    except Exception:
        log.exception("event.error_not_recorded", event_id=event_id)
