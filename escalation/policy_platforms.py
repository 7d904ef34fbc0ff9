"""The project's own workspace keys about acting on a platform: targets, API access, handover.

`gateway.targets.NAME.<platform>` says where an escalation goes; `platforms.<platform>`
how Handoff meets the platform (webhook secret, who is who, API credentials by secret
NAME); `handover` how it acts (dry run, the state API token, the note's language, the
public reply and routing tags). Defaults keep a workspace that sets none of them valid.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from escalation.policy_base import Name, Text, _Frozen

SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]
"""The NAME of a secret: an environment variable or a key of the secrets file."""


class ZendeskTarget(_Frozen):
    """Where a Zendesk ticket goes: a group, optionally an assignee, priority and fields."""

    group_id: int
    assignee_id: int | None = None
    priority: str | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class IntercomTarget(_Frozen):
    """Where an Intercom conversation goes: a team (inbox) or an admin.

    `open`: open the conversation before assigning it (a closed or snoozed one); and
    `snooze_minutes`: snooze it after the assignment, so it comes back to the inbox then.
    """

    team_id: str | int | None = None
    admin_id: str | int | None = None
    open: bool = False
    snooze_minutes: Annotated[int, Field(ge=1)] | None = None


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

    def api_secrets(self) -> list[tuple[str, str]]:
        """The (key, secret NAME) pairs of the platform's API credentials that are set."""
        return []

    """Human teammates (needed on Slack, where anyone can post): their replies are `agent`."""


class SunshineSettings(_Frozen):
    """Sunshine Conversations access, for passing messaging tickets to the agent workspace."""

    app_id: Text
    key_id: SecretName
    key_secret: SecretName
    base_url: Text = "https://api.smooch.io"
    switchboard_target: Text = "zd-agentWorkspace"


class ZendeskSettings(PlatformSettings):
    """Zendesk: the webhook settings plus API access (`subdomain`, API user, token NAME)."""

    subdomain: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")] | None = None
    api_email: Text | None = None
    """The API user Handoff acts as (its notes are written by this user)."""
    api_token: SecretName | None = None
    sunshine: SunshineSettings | None = None

    def api_secrets(self) -> list[tuple[str, str]]:
        """The API token's NAME, and the Sunshine key's when configured."""
        pairs = [("api_token", self.api_token)] if self.api_token else []
        if self.sunshine is not None:
            pairs.append(("sunshine.key_id", self.sunshine.key_id))
            pairs.append(("sunshine.key_secret", self.sunshine.key_secret))
        return pairs


class IntercomSettings(PlatformSettings):
    """Intercom: the webhook settings plus API access (token NAME, acting admin, region)."""

    access_token: SecretName | None = None
    admin_id: str | int | None = None
    """The admin Handoff acts as (tags, notes and assignments are made by this admin)."""
    region: Literal["us", "eu", "au"] = "us"
    api_version: Text = "2.14"

    def api_secrets(self) -> list[tuple[str, str]]:
        """The access token's NAME when set."""
        return [("access_token", self.access_token)] if self.access_token else []


class SlackSettings(PlatformSettings):
    """Slack: the webhook settings plus the bot token NAME and the tag reaction."""

    bot_token: SecretName | None = None
    teammate_usergroups: tuple[str, ...] = ()
    """User groups (`S0…`) whose members are teammates too (needs `usergroups:read`)."""
    reaction: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_+-]+$")] = "rotating_light"

    def api_secrets(self) -> list[tuple[str, str]]:
        """The bot token's NAME when set."""
        return [("bot_token", self.bot_token)] if self.bot_token else []


class Platforms(_Frozen):
    """The platforms this workspace receives webhooks from and acts on."""

    zendesk: ZendeskSettings | None = None
    intercom: IntercomSettings | None = None
    slack: SlackSettings | None = None


class Handover(_Frozen):
    """How Handoff acts once a conversation escalates (the project's own `handover` keys).

    `dry_run`: record the exact requests instead of sending them. `api_token`: the secret
    NAME of the state API's bearer token. `reply_on_escalation`: send the sub agent's
    `handoff_message` (else `handoff_message` here) once, unless the bot already said it.
    `note_language`: the note's language. `routing_tags`: extra tags, with `{signal}`,
    `{target}` and `{sub_agent}` placeholders. `max_attempts`: tries before a dead letter.
    """

    dry_run: bool = False
    api_token: SecretName | None = None
    reply_on_escalation: bool = True
    handoff_message: Text = (
        "Thanks for your patience. I've passed this to our team; a person will reply here."
    )
    note_language: Literal["en", "es", "fr", "de", "pt", "it", "nl"] = "en"
    routing_tags: tuple[Text, ...] = ()
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 6
