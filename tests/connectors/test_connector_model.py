from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime

import pytest

from connectors.model import (
    ConversationKey,
    Event,
    EventKind,
    Identities,
    Message,
    Platform,
    Role,
)

KEY = ConversationKey(Platform.SLACK, "acme", "C07QX4M2B1N:1717000000.123400")
WHEN = datetime(2024, 5, 29, 16, 26, 40, tzinfo=UTC)


def message(mid: str = "1", role: Role = Role.USER) -> Message:
    return Message(mid, KEY, role, "U1", WHEN, "hi", raw={"ts": mid})


def event(kind: EventKind, status: str | None = None, *messages: Message) -> Event:
    return Event(kind, "message.channels", "Ev1", KEY, WHEN, messages=messages, status=status)


def test_conversation_key_reads_as_platform_workspace_id() -> None:
    assert str(KEY) == "slack/acme/C07QX4M2B1N:1717000000.123400"


def test_models_are_frozen_and_hashable_despite_raw_dicts() -> None:
    first = message()
    with pytest.raises(FrozenInstanceError):
        first.text = "changed"  # type: ignore[misc]
    assert len({first, message(), event(EventKind.MESSAGE, None, first)}) == 2


def test_times_must_be_timezone_aware() -> None:
    naive = datetime(2024, 5, 29, 16, 26, 40)
    with pytest.raises(ValueError, match="timezone-aware"):
        Message("1", KEY, Role.USER, "U1", naive, "hi")
    with pytest.raises(ValueError, match="timezone-aware"):
        Event(EventKind.IGNORED, "message.channels", "Ev1", KEY, naive)


def test_message_property_is_the_last_message_or_none() -> None:
    assert event(EventKind.IGNORED).message is None
    first, second = message("1"), message("2")
    assert event(EventKind.MESSAGE, None, first, second).message == second


@pytest.mark.parametrize(
    ("kind", "status", "closes"),
    [
        (EventKind.CLOSED, None, True),
        (EventKind.STATUS_CHANGED, "solved", True),
        (EventKind.MESSAGE, "closed", True),
        (EventKind.STATUS_CHANGED, "pending", False),
        (EventKind.MESSAGE, "open", False),
        (EventKind.ASSIGNED, None, False),
    ],
)
def test_closes_on_closed_kind_or_solved_closed_status(
    kind: EventKind, status: str | None, closes: bool
) -> None:
    assert event(kind, status).closes is closes


def test_identities_decide_roles_and_self() -> None:
    ids = Identities(
        bot_ids=frozenset({"B1"}), self_ids=frozenset({"H1"}), teammate_ids=frozenset({"T1"})
    )
    assert ids.known_role("B1") is Role.BOT
    assert ids.known_role(None, "H1") is Role.SYSTEM
    assert ids.known_role("T1") is Role.AGENT
    assert ids.known_role("X", None, "") is None
    assert ids.is_self("X", "H1") is True
    assert ids.is_self(None, "B1") is False
