"""Getting stored events to the queue, and keeping the store healthy and lawful.

Intake only stores an event; `feed` (run by every worker, `handover.worker.Feeder`) claims
events `stored` and never enqueued yet, and enqueues their `process_event` job. `sweep`
enqueues again events still `stored` `sweep_after_seconds` after they were last enqueued
(the queue lost the job, or a worker died before or during it). Both claim an event by
setting its `swept_at` (the time it was last handed to the queue) in one UPDATE that
re-checks the condition, so two workers never enqueue the same event in one period.
`purge` removes raw bodies after `retention_days`; `forget` deletes everything stored
about one customer's conversations.

`forget` finds a conversation's raw events whether or not processing linked them (events
ignored, dropped, failed or still stored never are): `conversation_of` reads the
platform conversation id from a raw body the way the normalizers key conversations, and
never fails on an odd payload. An event whose body was purged before it was linked
cannot be told apart, and stays (it holds no body any more).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Text, and_, delete, func, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import InstrumentedAttribute, Session

from connectors.errors import PayloadInvalid
from connectors.jsonpath import opt_id, opt_obj, opt_str
from connectors.model import Platform
from connectors.slack.normalize import conversation_id as slack_conversation_id
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
FORGET_BATCH = 500
"""Rows `forget` deletes per statement (bound parameters stay far below the drivers' limits)."""
SCAN_BATCH = 200
"""Candidate raw bodies `forget` reads at once (bodies are up to `max_body_bytes` each)."""
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


Key = tuple[str, str]
"""A conversation as the platforms name it: (platform, platform conversation id)."""


@dataclass
class _Chosen:
    """What `forget` deletes: conversations by key or row id, and raw events by id."""

    keys: set[Key] = field(default_factory=set)
    conversation_ids: set[int] = field(default_factory=set)
    event_ids: set[int] = field(default_factory=set)


def forget(
    db: Database,
    workspace: str,
    *,
    conversation: str | None = None,
    email: str | None = None,
    platform: str | None = None,
) -> Forgotten:
    """Delete a customer's conversations, messages, decisions and raw events in a workspace.

    By platform conversation id: that conversation (on `platform`, or on any) and every
    raw event of it, processed or not. By email: the conversations whose customer email,
    message texts or collected details name the address, the raw events whose body names
    it, the conversations those events belong to, and all of those conversations' events.
    An address matches in any case, never inside a longer one (`ann@x.io` is not in
    `joann@x.io`). Rows that cascade from a conversation (actions, audit) go with it.
    """
    if (conversation is None) == (email is None):
        raise ValueError("give exactly one of conversation or email")
    platforms = [platform] if platform is not None else [p.value for p in Platform]
    with db.write() as session:
        if email is not None:
            chosen = _by_email(session, workspace, platforms, _address(email))
        else:
            chosen = _Chosen(keys={(name, _conversation(conversation)) for name in platforms})
        rows = _with_events(session, workspace, chosen)
        ids = sorted(chosen.conversation_ids)
        decisions = _delete(session, StoredDecision, StoredDecision.conversation_id, ids)
        messages = _delete(session, StoredMessage, StoredMessage.conversation_id, ids)
        events = _delete(session, StoredEvent, StoredEvent.id, sorted(chosen.event_ids))
        _delete(session, Conversation, Conversation.id, ids)
    names = tuple(f"{row.platform}/{row.external_id}" for row in rows)
    log.info("forget.done", workspace=workspace, conversations=len(names), events=events)
    return Forgotten(names, messages=messages, decisions=decisions, events=events)


def _address(email: str) -> str:
    """Return the email address to forget, lower case; refuse what is not one."""
    address = email.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", address):
        raise ValueError(f"not an email address: {email!r}")
    return address


def _conversation(conversation: str | None) -> str:
    """Return the platform conversation id to forget; refuse an empty one."""
    if not conversation or not conversation.strip():
        raise ValueError("empty conversation id")
    return conversation.strip()


def _with_events(session: Session, workspace: str, chosen: _Chosen) -> list[Conversation]:
    """Complete `chosen` with its conversation rows and all their raw events; return the rows.

    An event belongs to a conversation when processing linked it, or when its raw body
    names the conversation (events ignored, dropped, failed or not processed yet).
    """
    rows = _conversation_rows(session, workspace, chosen)
    chosen.conversation_ids |= {row.id for row in rows}
    chosen.keys |= {(row.platform, row.external_id) for row in rows}
    if chosen.conversation_ids:
        linked = StoredEvent.conversation_id.in_(sorted(chosen.conversation_ids))
        chosen.event_ids |= set(session.scalars(select(StoredEvent.id).where(linked)))
    for key in sorted(chosen.keys):
        chosen.event_ids |= _events_of(session, workspace, key)
    return rows


def _conversation_rows(session: Session, workspace: str, chosen: _Chosen) -> list[Conversation]:
    """The workspace's conversation rows chosen by row id or by (platform, id) key."""
    by_key = [
        and_(Conversation.platform == platform, Conversation.external_id == external_id)
        for platform, external_id in sorted(chosen.keys)
    ]
    by_id = Conversation.id.in_(sorted(chosen.conversation_ids))
    query = select(Conversation).where(Conversation.workspace == workspace, or_(by_id, *by_key))
    return list(session.scalars(query.order_by(Conversation.id)))


def _events_of(session: Session, workspace: str, key: Key) -> set[int]:
    """The ids of the raw events whose body belongs to the conversation `key`.

    Bodies that contain every part of the id are candidates (one SQL scan); each is then
    parsed and its conversation id compared exactly.
    """
    platform, external_id = key
    parts = [part for part in external_id.split(":") if part]
    candidates = select(StoredEvent.id, StoredEvent.body).where(
        StoredEvent.workspace == workspace,
        StoredEvent.platform == platform,
        *(StoredEvent.body.contains(part, autoescape=True) for part in parts),
    )
    return {
        event_id
        for event_id, body in _stream(session, candidates)
        if conversation_of(platform, body) == external_id
    }


def _by_email(session: Session, workspace: str, platforms: list[str], address: str) -> _Chosen:
    """Choose what names `address`: conversations (customer, messages, details) and raw events."""
    chosen = _Chosen(conversation_ids=_conversations_naming(session, workspace, platforms, address))
    query = select(
        StoredEvent.id, StoredEvent.platform, StoredEvent.conversation_id, StoredEvent.body
    ).where(
        StoredEvent.workspace == workspace,
        StoredEvent.platform.in_(platforms),
        _lower_contains(StoredEvent.body, address),
    )
    for event_id, platform, linked, body in _stream(session, query):
        if not body_mentions(body, address):
            continue
        chosen.event_ids.add(event_id)
        if linked is not None:
            chosen.conversation_ids.add(linked)
        found = conversation_of(platform, body)
        if found is not None:
            chosen.keys.add((platform, found))
    return chosen


def _conversations_naming(
    session: Session, workspace: str, platforms: list[str], address: str
) -> set[int]:
    """Conversations whose customer email, a message text or a collected detail is `address`."""
    scope = (Conversation.workspace == workspace, Conversation.platform.in_(platforms))
    customer = select(Conversation.id).where(*scope, Conversation.customer_email == address)
    found = set(session.scalars(customer))
    texts = (
        select(StoredMessage.conversation_id, StoredMessage.text)
        .join(Conversation, Conversation.id == StoredMessage.conversation_id)
        .where(*scope, _lower_contains(StoredMessage.text, address))
    )
    found |= {row_id for row_id, text in _stream(session, texts) if mentions(text, address)}
    details = (
        select(StoredDecision.conversation_id, StoredDecision.collected)
        .join(Conversation, Conversation.id == StoredDecision.conversation_id)
        .where(*scope, _lower_contains(sql_cast(StoredDecision.collected, Text), address))
    )
    for row_id, collected in _stream(session, details):
        if any(mentions(str(value), address) for value in (collected or {}).values()):
            found.add(row_id)
    return found


def _lower_contains(column: Any, address: str) -> ColumnElement[bool]:
    """SQL: the column's text contains `address` in any (ASCII) case; a coarse pre-filter."""
    return func.lower(column).contains(address, autoescape=True)


def _stream(session: Session, query: Any) -> Iterator[Any]:
    """Run a query of columns and yield its rows in batches (bodies can be large)."""
    yield from session.execute(query.execution_options(yield_per=SCAN_BATCH))


def mentions(text: str, address: str) -> bool:
    """Tell whether `text` names the email `address` (any case), not a longer address."""
    pattern = rf"(?<![\w.+-]){re.escape(address)}(?![\w-]|\.\w)"
    return re.search(pattern, text, re.IGNORECASE) is not None


def body_mentions(body: str | None, address: str) -> bool:
    """Tell whether a raw body names `address`: in one of its JSON strings, else anywhere."""
    if body is None:
        return False
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return mentions(body, address)
    return any(mentions(text, address) for text in _strings(payload))


def _strings(value: Any) -> Iterator[str]:
    """Yield every string in a parsed JSON value (its escapes decoded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def conversation_of(platform: str, body: str | None) -> str | None:
    """Return the platform conversation id a raw body belongs to; None when it cannot tell.

    Never raises: a body that is purged, not JSON or oddly shaped just gives None.
    """
    reader = CONVERSATION_READERS.get(platform)
    if body is None or reader is None:
        return None
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return reader(payload) if isinstance(payload, dict) else None


def _first(read: Callable[..., Any], obj: Mapping[str, Any], paths: Iterable[str]) -> Any:
    """Return the first non-empty value `read` finds at `paths`; wrong types are skipped."""
    for path in paths:
        try:
            value = read(obj, path)
        except PayloadInvalid:
            continue
        if value:
            return value
    return None


def zendesk_conversation(body: Mapping[str, Any]) -> str | None:
    """The ticket id of a Zendesk body.

    `detail.id` in event subscriptions, `ticket.id` in trigger bodies, else the
    envelope's `subject` (`zen:ticket:<id>`).
    """
    found: str | None = _first(opt_id, body, ("detail.id", "ticket.id"))
    subject: str = _first(opt_str, body, ("subject",)) or ""
    prefix = "zen:ticket:"
    if found is None and subject.startswith(prefix) and subject != prefix:
        return subject.removeprefix(prefix)
    return found


def intercom_conversation(body: Mapping[str, Any]) -> str | None:
    """The conversation id, `data.item.id`."""
    found: str | None = _first(opt_id, body, ("data.item.id",))
    return found


def slack_conversation(body: Mapping[str, Any]) -> str | None:
    """The thread (`<channel>:<thread_ts>`) or unthreaded DM channel of a message event.

    The same key as `connectors.slack.normalize` gives, also for edits and deletions
    (whose thread and message time are nested in `message` / `previous_message`).
    """
    event: Mapping[str, Any] = _first(opt_obj, body, ("event",)) or {}
    channel: str | None = _first(opt_str, event, ("channel",))
    if channel is None:
        return None
    threads = ("thread_ts", "message.thread_ts", "previous_message.thread_ts")
    thread: str | None = _first(opt_str, event, threads)
    ts: str = _first(opt_str, event, ("message.ts", "deleted_ts", "ts")) or ""
    kind: str = _first(opt_str, event, ("channel_type",)) or _channel_kind(channel)
    if not (thread or ts or kind == "im"):
        return None
    return slack_conversation_id(channel, kind, ts, thread)


def _channel_kind(channel: str) -> str:
    """A Slack channel's type from its id, when the event does not say (as the normalizer)."""
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


CONVERSATION_READERS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    Platform.ZENDESK.value: zendesk_conversation,
    Platform.INTERCOM.value: intercom_conversation,
    Platform.SLACK.value: slack_conversation,
}
"""Per platform: the conversation id a parsed raw body belongs to (None if it has none)."""


def _delete(
    session: Session, model: type[Base], column: InstrumentedAttribute[Any], ids: list[int]
) -> int:
    """Delete the rows of `model` whose `column` is one of `ids` (in batches); return how many."""
    deleted = 0
    for start in range(0, len(ids), FORGET_BATCH):
        where = column.in_(ids[start : start + FORGET_BATCH])
        statement = delete(model).where(where).execution_options(synchronize_session=False)
        deleted += int(cast(CursorResult[Any], session.execute(statement)).rowcount)
    return deleted
