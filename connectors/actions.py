"""What Handoff asks a platform to do on escalation, and what a connector client answers.

`handover.plan` produces `Action`s (pure data); `connectors/<platform>/client.py` performs
them through the platform's SDK and answers an `Outcome` listing the HTTP requests it
sent (method, URL, JSON body), or raises `RateLimited` / `PlatformError` for the outbox to
retry or fail. A client never retries by itself: the outbox owns retries.

Action kinds and what they mean on each platform:

- `tag`: Zendesk adds tags (merge, never replace); Intercom tags the conversation
  (creating the tag); Slack adds a reaction on the thread's root.
- `note`: Zendesk private comment; Intercom admin note; Slack post in the target channel
  (summary, permalink, user group mention, Take it / Hand back buttons).
- `assign`: Zendesk group / assignee / priority / custom fields; Intercom assignment to
  a team or admin (optionally opened first); Slack nothing more (the note is the post).
- `reply`: the public reply to the customer (comment, admin comment, thread reply).
- `release` (on a hand-back by the team): Zendesk removes the episode's tags, so the
  bot's triggers answer again; nothing to do on Intercom and Slack.
- `suspend`: Zendesk messaging tickets pass control to the agent workspace (Sunshine
  Conversations); on Intercom the assignment away from the bot is the suspension; on
  Slack Handoff's own replies stop.

`note` and `reply` are the only kinds that are not idempotent on the platform; they
carry `marker`, and after an ambiguous failure (a timeout after sending) the outbox asks
`find_marker` before posting again. `find_marker` only looks at what was posted from
`Action.search_from` on (`planned_at` less `MARKER_CLOCK_SKEW`): a public reply carries no
visible marker and is found by its text, which is the same in every episode, so an older
episode's reply must not count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from connectors.model import Platform


class ActionKind(StrEnum):
    """One native handover step (see the module table)."""

    TAG = "tag"
    NOTE = "note"
    ASSIGN = "assign"
    REPLY = "reply"
    SUSPEND = "suspend"
    RELEASE = "release"


UNSAFE_TO_REPEAT = frozenset({ActionKind.NOTE, ActionKind.REPLY})
"""Kinds that would post twice if repeated: checked with `find_marker` after ambiguity."""

MARKER_CLOCK_SKEW = 120.0
"""Seconds before `Action.planned_at` that `find_marker` still looks at (clock skew
between Handoff and the platform)."""


@dataclass(frozen=True)
class Action:
    """One step to perform on one platform conversation.

    `conversation_id` is the platform's id (`ConversationKey.conversation_id`: a Zendesk
    ticket id, an Intercom conversation id, `<channel>:<thread_ts>` on Slack). `key` is the
    idempotency key (conversation, episode, kind). `tags` for `tag`; `text` (plain text,
    one paragraph per line) for `note` and `reply`; `target` the platform's entry of the
    gateway target (`{"group_id": 1}`, `{"team_id": "2"}`, `{"channel": "C01",
    "usergroup": "S01"}`) for `assign` and, on Slack, `note`; `marker` a short unique
    string carried by a note (hidden where the platform allows) so it can be found again;
    `links` extra context the clients render under the note (label: URL; nothing plans
    any yet); `planned_at` when the
    action was planned (unix seconds; 0.0 = unknown): `find_marker` ignores what was posted
    more than `MARKER_CLOCK_SKEW` seconds before it (see `search_from`); `episode` the
    conversation's episode the action belongs to (0 = unknown; Slack's buttons carry it
    so that a press on an earlier escalation's note changes nothing).
    """

    kind: ActionKind
    platform: Platform
    conversation_id: str
    key: str
    tags: tuple[str, ...] = ()
    text: str = ""
    target: Mapping[str, Any] = field(default_factory=dict)
    marker: str = ""
    links: Mapping[str, str] = field(default_factory=dict)
    planned_at: float = 0.0
    episode: int = 0

    @property
    def search_from(self) -> float | None:
        """Unix seconds from which `find_marker` considers posts; None without `planned_at`."""
        return self.planned_at - MARKER_CLOCK_SKEW if self.planned_at > 0 else None

    def posted_since_planned(self, created: float | None) -> bool:
        """Tell whether a post created at `created` (unix seconds) may be this action's.

        True without `planned_at`, or when the platform gave no usable time (unknown is
        kept: a missed match posts twice); else whether `created >= search_from`.
        """
        since = self.search_from
        return since is None or created is None or created >= since


@dataclass(frozen=True)
class SentRequest:
    """One HTTP request a client sent (or, in dry run, would have sent)."""

    method: str
    url: str
    body: Any = None

    def summary(self) -> str:
        """Return `METHOD url` for logs and audit rows (never headers, never tokens)."""
        return f"{self.method} {self.url}"


@dataclass(frozen=True)
class Outcome:
    """What performing an action did: the requests sent and the platform's reference.

    `reference` is the id of what was created where there is one (comment / part /
    message ts); `skipped` explains a deliberate no-op (e.g. nothing to do on Slack for
    `assign` without a target).
    """

    requests: tuple[SentRequest, ...] = ()
    reference: str | None = None
    skipped: str | None = None


class ActionClient(Protocol):
    """A platform client that performs actions (`connectors/<platform>/client.py`)."""

    platform: Platform

    def perform(self, action: Action) -> Outcome:
        """Perform `action` once; raise `RateLimited` or `PlatformError` on failure."""

    def find_marker(self, action: Action) -> bool:
        """Tell whether a note / reply carrying `action.marker` is already on the platform.

        Only posts created at or after `action.search_from` count, when it is set.
        """
