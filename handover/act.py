"""Running a conversation's outbox actions through its platform's client: `run_actions`.

1. `outbox.claim_many` takes the rows that are ours, in id order, in one transaction
   (attempts recorded and committed before sending);
2. the conversation is checked: an episode that ended cancels the action, and routing
   (`assign`, `suspend`) is skipped once the team already has the conversation;
3. after an ambiguous failure (a timeout or crash after sending) a `note` / `reply` is
   first looked for on the platform by its marker, and not posted again when found;
4. the client performs it (`connectors/<platform>/client.py`, or its dry-run form);
5. `finish_many` stores the outcomes with their audit lines in one transaction (only for
   rows the run still owns), then counts and logs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from connectors.actions import UNSAFE_TO_REPEAT, ActionKind, Outcome
from connectors.errors import PlatformError, RateLimited
from escalation.policy_platforms import Handover
from handover import outbox
from handover.audit import record
from handover.clients import ClientUnavailable
from handover.models import ActionStatus, StoredAction, utcnow
from handover.observability import ACTIONS, ACTIONS_DEAD, get_logger
from handover.states import State
from handover.workspaces import UnknownWorkspace

if TYPE_CHECKING:
    from handover.runtime import Runtime

ROUTING = frozenset({ActionKind.ASSIGN, ActionKind.SUSPEND})
log = get_logger("actions")


@dataclass
class Result:
    """How one run ended, before it is stored."""

    status: ActionStatus
    outcome: Outcome = field(default_factory=Outcome)
    error: str | None = None
    http_status: int | None = None
    retry_in: float | None = None
    ambiguous: bool = False


def run_action(runtime: Runtime, action_id: int) -> ActionStatus | None:
    """Run one outbox action once; return its new status (None when it was not ours)."""
    return run_actions(runtime, [action_id]).get(action_id)


def run_actions(runtime: Runtime, action_ids: Sequence[int]) -> dict[int, ActionStatus]:
    """Run a conversation's actions in id order: one claim, the calls, one finish.

    Return the new status of each action that was ours to run.
    """
    runs = [
        (claimed, _precheck(claimed) or _perform(runtime, claimed))
        for claimed in outbox.claim_many(runtime, action_ids)
    ]
    return finish_many(runtime, runs)


def _precheck(claimed: outbox.Claimed) -> Result | None:
    """Cancel or skip without calling the platform when the conversation moved on.

    Reads the conversation as `claim` saw it, in the claim's transaction.
    """
    if claimed.conversation_state is None:
        return Result(ActionStatus.CANCELLED, error="the conversation was deleted")
    ended = claimed.conversation_episode != claimed.episode
    if ended and claimed.action.kind is not ActionKind.RELEASE:  # release is the ending's own
        return Result(ActionStatus.CANCELLED, error="the episode ended before the action ran")
    if claimed.action.kind in ROUTING and claimed.conversation_state == State.WITH_TEAM.value:
        return Result(ActionStatus.SKIPPED, Outcome(skipped="the team already has it"))
    return None


def _perform(runtime: Runtime, claimed: outbox.Claimed) -> Result:
    """Call the platform (or look for the marker first); map failures to a retry or death."""
    action = claimed.action
    unsafe = action.kind in UNSAFE_TO_REPEAT
    try:
        client = runtime.clients.get(claimed.workspace, action.platform.value, claimed.dry_run)
        if unsafe and claimed.ambiguous and client.find_marker(action):
            return Result(ActionStatus.DONE, Outcome(reference="found on the platform"))
        return Result(ActionStatus.DONE, client.perform(action))
    except RateLimited as exc:  # rejected: changes nothing, but an earlier doubt stays
        return Result(
            ActionStatus.RETRY,
            error=str(exc),
            http_status=429,
            retry_in=exc.retry_after,
            ambiguous=unsafe and claimed.ambiguous,
        )
    except PlatformError as exc:
        status = ActionStatus.RETRY if exc.retryable else ActionStatus.DEAD
        return Result(status, error=str(exc), http_status=exc.status, ambiguous=unsafe)
    except ClientUnavailable as exc:  # a setting or secret is missing: no try can succeed
        return Result(ActionStatus.DEAD, error=str(exc))
    except Exception as exc:  # a bug or an outage we do not know: kept, retried, then dead
        log.exception("action.error", action_id=claimed.id)
        return Result(ActionStatus.RETRY, error=f"{type(exc).__name__}: {exc}", ambiguous=unsafe)


def finish(runtime: Runtime, claimed: outbox.Claimed, result: Result) -> ActionStatus:
    """Store one run's result (see `finish_many`)."""
    return finish_many(runtime, [(claimed, result)])[claimed.id]


def finish_many(
    runtime: Runtime, runs: Sequence[tuple[outbox.Claimed, Result]]
) -> dict[int, ActionStatus]:
    """Store runs' results with their audit lines in one transaction; count and log them.

    Only the run that still owns its row writes (same attempt, still `running`): a run
    that outlived its lease, whose row another worker took over, changes nothing.
    """
    if not runs:
        return {}
    now = utcnow()
    for claimed, result in runs:
        _settle(runtime, claimed, result)
    ids = [claimed.id for claimed, _ in runs]
    with runtime.db.write() as session:
        query = select(StoredAction).where(StoredAction.id.in_(ids)).with_for_update()
        rows = {row.id: row for row in session.scalars(query)}
        owned = [(c, r) for c, r in runs if _owns(rows.get(c.id), c, r)]
        for claimed, result in owned:
            row = rows[claimed.id]
            _store(row, claimed, result, now)
            record(session, claimed.workspace, row, _audit_detail(row, result), now)
    for claimed, result in owned:
        _report(claimed, result)
    return {claimed.id: result.status for claimed, result in runs}


def _settle(runtime: Runtime, claimed: outbox.Claimed, result: Result) -> None:
    """A skip is `skipped`; a retry past `max_attempts` is `dead`."""
    if result.status is ActionStatus.DONE and result.outcome.skipped:
        result.status = ActionStatus.SKIPPED
    if result.status is ActionStatus.RETRY and claimed.attempts >= _max_attempts(runtime, claimed):
        result.status = ActionStatus.DEAD
        result.error = f"gave up after {claimed.attempts} attempts: {result.error}"


def _owns(row: StoredAction | None, claimed: outbox.Claimed, result: Result) -> bool:
    """Tell whether this run still owns `row`; log the stale result when it does not."""
    if row is not None and row.status == ActionStatus.RUNNING and row.attempts == claimed.attempts:
        return True
    log.warning("action.stale_result", action_id=claimed.id, result=result.status.value)
    return False


def _max_attempts(runtime: Runtime, claimed: outbox.Claimed) -> int:
    """The workspace's `handover.max_attempts` (the default when it is no longer served)."""
    try:
        return runtime.workspaces.policy(claimed.workspace).model.handover.max_attempts
    except UnknownWorkspace:
        return Handover().max_attempts


def _store(row: StoredAction, claimed: outbox.Claimed, result: Result, now: datetime) -> None:
    row.status, row.updated_at, row.lease_until = result.status.value, now, None
    row.last_error, row.last_status = result.error, result.http_status
    if result.outcome.requests:
        row.requests = [vars(request) for request in result.outcome.requests]
    row.reference = result.outcome.reference or result.outcome.skipped or row.reference
    if result.status is ActionStatus.RETRY:
        if result.retry_in is None:
            result.retry_in = outbox.backoff(claimed.attempts)
        row.next_attempt_at = now + timedelta(seconds=result.retry_in)
        row.ambiguous = result.ambiguous
    else:
        row.done_at = now


def _audit_detail(row: StoredAction, result: Result) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "platform": row.platform,
        "result": result.status.value,
        "attempts": row.attempts,
        "dry_run": row.dry_run,
        "requests": [request.summary() for request in result.outcome.requests],
        "error": result.error,
        "skipped": result.outcome.skipped,
    }


def _report(claimed: outbox.Claimed, result: Result) -> None:
    action = claimed.action
    label = "dry_run" if claimed.dry_run and result.status is ActionStatus.DONE else None
    ACTIONS.labels(action.platform.value, action.kind.value, label or result.status.value).inc()
    fields = {"action_id": claimed.id, "kind": action.kind.value, "attempts": claimed.attempts}
    if result.status is ActionStatus.DEAD:
        ACTIONS_DEAD.labels(action.platform.value).inc()
        log.error("action.dead", error=result.error, **fields)
    elif result.status is ActionStatus.RETRY:
        log.warning("action.retry", error=result.error, retry_in=result.retry_in, **fields)
    else:
        log.info("action." + result.status.value, skipped=result.outcome.skipped, **fields)
