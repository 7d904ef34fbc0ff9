"""The workspace file's shape: frozen, typed pydantic models, one per YAML section.

Keys follow `shared/contract/README.md`; the project's own additions are
`escalation.phrases` (a workspace's confirmation rules) and the per-platform target
fields. Unknown keys are errors (`extra="forbid"`), so typos are caught.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]
WorkspaceName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")]
Text = Annotated[str, StringConstraints(min_length=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        """An empty YAML key (`summary:`) means "use the default", not null."""
        if not isinstance(data, dict):
            return data
        return {
            key: value
            for key, value in data.items()
            if value is not None or key not in cls.model_fields or cls._accepts_none(key)
        }

    @classmethod
    def _accepts_none(cls, key: str) -> bool:
        field = cls.model_fields[key]
        return field.default is None and not field.is_required()


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


class ZendeskTarget(_Frozen):
    """Where a Zendesk ticket goes: a group, optionally an assignee, priority and fields."""

    group_id: int
    assignee_id: int | None = None
    priority: str | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class IntercomTarget(_Frozen):
    """Where an Intercom conversation goes: a team (inbox) or an admin."""

    team_id: str | int | None = None
    admin_id: str | int | None = None


class SlackTarget(_Frozen):
    """Where a Slack escalation is posted, and whom it mentions."""

    channel: Text
    usergroup: str | None = None


class Target(_Frozen):
    """A gateway target: one destination per platform it is used on."""

    zendesk: ZendeskTarget | None = None
    intercom: IntercomTarget | None = None
    slack: SlackTarget | None = None


class HandoverRule(_Frozen):
    """Route the listed sub agents' escalations to one target."""

    sub_agents: tuple[Name, ...]
    target: Name


class Gateway(_Frozen):
    """Routing: the default target, the targets themselves and per-sub-agent rules."""

    target: Name | None = None
    targets: dict[Name, Target] = Field(default_factory=dict)
    handover_rules: tuple[HandoverRule, ...] = ()


SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]


class PlatformSettings(_Frozen):
    """How Handoff meets one platform for this workspace (the project's own keys).

    Secrets are given by NAME — an environment variable or a key of the secrets file —
    never by value, so the workspace file can be committed and secrets never logged.
    """

    webhook_secret: SecretName
    """Zendesk webhook signing secret, Intercom client secret or Slack signing secret."""
    bot_ids: tuple[str, ...] = ()
    """The AI assistant's user / admin / bot ids: their messages are `bot` messages."""
    self_ids: tuple[str, ...] = ()
    """Handoff's own user / admin / bot ids: their events echo our actions and are dropped."""
    teammate_ids: tuple[str, ...] = ()
    """Human teammates (needed on Slack, where anyone can post): their replies are `agent`."""


class Platforms(_Frozen):
    """The platforms this workspace receives webhooks from."""

    zendesk: PlatformSettings | None = None
    intercom: PlatformSettings | None = None
    slack: PlatformSettings | None = None


class WorkspaceModel(_Frozen):
    """A whole workspace file, as written (before cross-reference checks)."""

    workspace: WorkspaceName
    scope: Scope
    topics: dict[Name, Topic]
    escalation: Escalation = Escalation()
    sub_agents: dict[Name, SubAgent] = Field(default_factory=dict)
    gateway: Gateway = Gateway()
    platforms: Platforms = Platforms()
