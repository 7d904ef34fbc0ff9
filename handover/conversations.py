"""Applying a normalized event to its conversation, inside the caller's write transaction.

`lock_conversation` creates the row if needed and locks it (`SELECT ... FOR UPDATE` on
PostgreSQL; on SQLite the transaction already holds the single writer lock from
`BEGIN IMMEDIATE`), so events of one conversation are applied one at a time whatever the
number of workers. Messages are inserted once (unique platform id per conversation); the
current episode's transcript is rebuilt from the store in platform-time order, because
deliveries arrive out of order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.errors import PayloadInvalid
from connectors.jsonpath import opt_str
from connectors.model import ConversationKey, Event, Message, Role
from escalation import case
from handover.models import Conversation, StoredDecision, StoredMessage
from handover.states import State
from handover.store import upsert

UNIQUE_CONVERSATION = ["workspace", "platform", "external_id"]
UNIQUE_MESSAGE = ["conversation_id", "external_id"]


def lock_conversation(session: Session, key: ConversationKey, now: datetime) -> Conversation:
    """Create the conversation row if it is new, then load it locked for this transaction."""
    values = {
        "workspace": key.workspace,
        "platform": key.platform.value,
        "external_id": key.conversation_id,
        "state": State.BOT.value,
        "episode": 1,
        "revision": 0,
        "created_at": now,
        "updated_at": now,
    }
    create = upsert(session.get_bind().dialect, Conversation).values(**values)
    session.execute(create.on_conflict_do_nothing(index_elements=UNIQUE_CONVERSATION))
    query = (
        select(Conversation)
        .where(
            Conversation.workspace == key.workspace,
            Conversation.platform == key.platform.value,
            Conversation.external_id == key.conversation_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()


def lock_conversation_by_id(session: Session, conversation_id: int) -> Conversation | None:
    """Load a stored conversation locked for this transaction (None when it is gone)."""
    query = (
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).first()


def _episode_of(conversation: Conversation, message: Message) -> int:
    """Return the episode a message belongs to: a late one from before a hand-back goes back."""
    started = conversation.episode_started_at
    if started is not None and message.sent_at < started and conversation.episode > 1:
        return conversation.episode - 1
    return conversation.episode


def insert_messages(
    session: Session, conversation: Conversation, event: Event, event_id: int
) -> list[StoredMessage]:
    """Insert the event's messages not stored yet; return the new ones (detached rows)."""
    table = StoredMessage.__table__
    inserted: list[StoredMessage] = []
    for message in event.messages:
        values = {
            "conversation_id": conversation.id,
            "episode": _episode_of(conversation, message),
            "external_id": message.id,
            "role": message.role.value,
            "author_id": message.author_id,
            "sent_at": message.sent_at,
            "text": message.text,
            "public": message.public,
            "event_id": event_id,
        }
        statement = upsert(session.get_bind().dialect, StoredMessage).values(**values)
        statement = statement.on_conflict_do_nothing(index_elements=UNIQUE_MESSAGE)
        new_id = session.execute(statement.returning(table.c.id)).scalar()
        if new_id is not None:
            inserted.append(StoredMessage(id=new_id, **values))
    return inserted


def customer_email(messages: Iterable[Message]) -> str | None:
    """Return the customer's email address if a user message's author object names one."""
    for message in messages:
        if message.role is not Role.USER:
            continue
        try:
            email = opt_str(message.raw, "author.email")
        except PayloadInvalid:
            continue
        if email and "@" in email:
            return email.strip().lower()
    return None


def transcript(session: Session, conversation: Conversation) -> tuple[case.Message, ...]:
    """Return the current episode's public messages, oldest first by platform time.

    Messages with the same platform time (Zendesk trigger times have minute precision)
    are ordered by the platform's own increasing ids — numeric strings of one length sort
    as numbers — and only then by arrival.
    """
    query = (
        select(StoredMessage)
        .where(
            StoredMessage.conversation_id == conversation.id,
            StoredMessage.episode == conversation.episode,
            StoredMessage.public.is_(True),
        )
        .order_by(
            StoredMessage.sent_at,
            func.length(StoredMessage.external_id),
            StoredMessage.external_id,
            StoredMessage.id,
        )
    )
    return tuple(
        case.Message(case.Role(row.role), row.text, at=row.sent_at.isoformat())
        for row in session.scalars(query)
    )


def latest_conversations(
    session: Session, workspace: str | None, limit: int
) -> list[tuple[Conversation, StoredDecision | None]]:
    """The most recently updated conversations, each with its latest decision."""
    query = select(Conversation).order_by(Conversation.updated_at.desc()).limit(limit)
    if workspace is not None:
        query = query.where(Conversation.workspace == workspace)
    rows = []
    for conversation in session.scalars(query):
        decision = session.scalars(
            select(StoredDecision)
            .where(StoredDecision.conversation_id == conversation.id)
            .order_by(StoredDecision.id.desc())
            .limit(1)
        ).first()
        rows.append((conversation, decision))
    return rows
