"""`forget`: delete everything stored about one customer's conversations in a workspace.

`forget` finds a conversation's raw events whether or not processing linked them (events
ignored, dropped, failed or still stored never are): `handover.raw_bodies.conversation_of`
reads the platform conversation id from a raw body the way the normalizers key
conversations, and never fails on an odd payload. An event whose body was purged before
it was linked cannot be told apart, and stays (it holds no body any more).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import ColumnElement, Text, and_, delete, func, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import InstrumentedAttribute, Session

from connectors.model import Platform
from handover.models import Base, Conversation, StoredDecision, StoredEvent, StoredMessage
from handover.observability import get_logger
from handover.raw_bodies import body_mentions, conversation_of, mentions
from handover.store import Database

FORGET_BATCH = 500
"""Rows `forget` deletes per statement (bound parameters stay far below the drivers' limits)."""
SCAN_BATCH = 200
"""Candidate raw bodies `forget` reads at once (bodies are up to `max_body_bytes` each)."""
log = get_logger("maintenance")


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
