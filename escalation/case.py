"""Conversation cases: the contract's input line, parsed and validated.

`parse_case` turns one JSON object into a `Case` or raises `CaseInvalid` whose message
names the offending field (`messages[2].role`), so `handoff detect` can answer the line
with an error and go on with the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """Who wrote a message."""

    USER = "user"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


@dataclass(frozen=True)
class Message:
    """One message of a conversation, oldest first in a `Case`."""

    role: Role
    text: str
    at: str | None = None


@dataclass(frozen=True)
class Case:
    """One conversation episode to decide."""

    id: str
    messages: tuple[Message, ...]
    sub_agent: str | None = None


class CaseInvalid(ValueError):
    """A case line that does not match the contract; `case_id` is kept when readable."""

    def __init__(self, message: str, case_id: str | None = None) -> None:
        super().__init__(message)
        self.case_id = case_id


def parse_case(raw: Any) -> Case:
    """Validate one decoded JSON value as a case."""
    if not isinstance(raw, dict):
        raise CaseInvalid(f"a case must be a JSON object, got {_type_name(raw)}")
    case_id = raw.get("id")
    readable_id = case_id if isinstance(case_id, str) and case_id else None
    if readable_id is None:
        raise CaseInvalid("id: must be a non-empty string", None)
    sub_agent = raw.get("sub_agent")
    if sub_agent is not None and not isinstance(sub_agent, str):
        raise CaseInvalid("sub_agent: must be a string or null", readable_id)
    messages = raw.get("messages")
    if not isinstance(messages, list) or not messages:
        raise CaseInvalid("messages: must be a non-empty list", readable_id)
    parsed = tuple(_parse_message(item, index, readable_id) for index, item in enumerate(messages))
    return Case(id=readable_id, messages=parsed, sub_agent=sub_agent)


def _parse_message(raw: Any, index: int, case_id: str) -> Message:
    where = f"messages[{index}]"
    if not isinstance(raw, dict):
        raise CaseInvalid(f"{where}: must be an object", case_id)
    role = raw.get("role")
    if role not in {r.value for r in Role}:
        allowed = ", ".join(r.value for r in Role)
        raise CaseInvalid(f"{where}.role: must be one of {allowed}, got {role!r}", case_id)
    text = raw.get("text")
    if not isinstance(text, str):
        raise CaseInvalid(f"{where}.text: must be a string", case_id)
    at = raw.get("at")
    if at is not None and not isinstance(at, str):
        raise CaseInvalid(f"{where}.at: must be an ISO 8601 string", case_id)
    return Message(role=Role(role), text=text, at=at)


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__
