"""The workspace file's shape: frozen, typed pydantic models, one per YAML section.

Keys follow `shared/contract/README.md`; the project's own additions are
`escalation.phrases` (a workspace's confirmation rules) and the per-platform target
fields. Unknown keys are errors (`extra="forbid"`), so typos are caught.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from escalation.policy_base import Name, Text, WorkspaceName, _Frozen
from escalation.policy_platforms import Gateway, Handover, Platforms

__all__ = ["Name", "Text", "WorkspaceName"]


class Scope(_Frozen):
    """What the assistant is for, and which topics are inside that."""

    description: str = ""
    topics: tuple[Name, ...]


class Topic(_Frozen):
    """A subject a conversation can be about, defined by meaning and by words."""

    description: str = ""
    examples: tuple[Text, ...] = ()
    keywords: tuple[Text, ...] = ()


class PhraseRules(_Frozen):
    """A workspace's own confirmation rules, matched as whole words, case-insensitive.

    `user_request`: extra phrases that count as a direct request for a human.
    `bot_handoff`: extra bot statements that count as a confirmed handoff.
    `ignore`: phrases that never count, wherever they appear.
    """

    user_request: tuple[Text, ...] = ()
    bot_handoff: tuple[Text, ...] = ()
    ignore: tuple[Text, ...] = ()


class Escalation(_Frozen):
    """When to escalate, what to leave for the team, and whether the bot stops afterwards."""

    instruction: str | None = None
    only_topics: tuple[Name, ...] = ()
    always_topics: tuple[Name, ...] = ()
    summary: tuple[Name, ...] = ()
    suspend_afterwards: bool = False
    phrases: PhraseRules = PhraseRules()
    pending_fallback: PendingFallback | None = None


class PendingFallback(_Frozen):
    """Escalate a conversation stuck in `collecting` anyway (the note lists what is missing)."""

    after_user_turns: Annotated[int, Field(ge=1)] | None = None
    after_minutes: Annotated[int, Field(ge=1)] | None = None


class DetailKind(StrEnum):
    """How a required detail is recognized in the user's messages."""

    ORDER_NUMBER = "order_number"
    EMAIL = "email"
    PHONE = "phone"
    TEXT = "text"
    PATTERN = "pattern"


class CollectItem(_Frozen):
    """One detail a sub agent needs before it can hand over."""

    name: Name
    kind: DetailKind
    pattern: str | None = None
    ask: str | None = None
    sensitive: bool = False


class HandoffMode(StrEnum):
    """When a sub agent hands over."""

    COLLECTED = "collected"
    SIGNAL = "signal"


class SubAgent(_Frozen):
    """A workflow: its topics, the details it collects and how it hands over."""

    description: str = ""
    topics: tuple[Name, ...] = ()
    collect: tuple[CollectItem, ...] = ()
    handoff: HandoffMode = HandoffMode.SIGNAL
    handoff_message: str | None = None
    next_step: str | None = None
    """The agent's next step for the note; `{detail}` placeholders take collected values."""


class WorkspaceModel(_Frozen):
    """A whole workspace file, as written (before cross-reference checks)."""

    workspace: WorkspaceName
    scope: Scope
    topics: dict[Name, Topic]
    escalation: Escalation = Escalation()
    sub_agents: dict[Name, SubAgent] = Field(default_factory=dict)
    gateway: Gateway = Gateway()
    platforms: Platforms = Platforms()
    handover: Handover = Handover()
