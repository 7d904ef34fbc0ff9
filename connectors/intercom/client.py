"""Perform handover `Action`s on Intercom through the `python-intercom` 5.x SDK.

One `IntercomClient` per workspace: it sends `Intercom-Version` on every request, never
retries (the outbox does: the SDK's retries are off), records every request it sends (see
`connectors.intercom.wire`) and, in dry run, runs the same SDK code against a mock
transport that answers canned success JSON, so nothing leaves the process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import httpx
from intercom import (
    AdminReplyConversationRequest,
    ConversationPart,
    CreateOrUpdateTagRequest,
    Intercom,
)
from intercom.conversations import (
    Conversation,
    ConversationsManageRequestBody_Assignment,
    ConversationsManageRequestBody_Open,
    ConversationsManageRequestBody_Snoozed,
)
from intercom.core.request_options import RequestOptions
from intercom.environment import IntercomEnvironment

from connectors.actions import Action, ActionKind, Outcome
from connectors.errors import PlatformError
from connectors.intercom.wire import (
    PLATFORM,
    dry_run_answer,
    note_html,
    record_request,
    recording,
    same_text,
    translate_errors,
)
from connectors.model import Platform
from connectors.text import to_plain_text

Region = Literal["us", "eu", "au"]

ENVIRONMENTS: Mapping[Region, IntercomEnvironment] = {
    "us": IntercomEnvironment.US_PRODUCTION,
    "eu": IntercomEnvironment.EU_PRODUCTION,
    "au": IntercomEnvironment.AU_PRODUCTION,
}
NO_RETRIES: RequestOptions = {"max_retries": 0}
"""Per-call options: the SDK must not retry (the outbox owns retries)."""
RELEASE_SKIPPED = "on Intercom a hand-back needs no call: assign or close it as usual"
SUSPEND_SKIPPED = "on Intercom the assignment away from the bot suspends it"


@dataclass(frozen=True)
class IntercomCredentials:
    """API access for one workspace: token, acting admin, region, pinned API version.

    `admin_id` is the admin Handoff acts as (tags, notes, assignments are made by it).
    `base_url`, when given, overrides the region's host (tests, proxies). The token is
    kept out of `repr`.
    """

    token: str = field(repr=False)
    admin_id: str
    region: Region = "us"
    api_version: str = "2.14"
    base_url: str | None = None


def _target_id(target: Mapping[str, Any], key: str) -> str | None:
    """Return `target[key]` as an id string; None when absent or empty."""
    value = target.get(key)
    return None if value is None or value == "" else str(value)


def _unique(names: Iterable[str]) -> list[str]:
    """Drop blank and repeated tag names (Intercom compares names case-insensitively)."""
    seen: set[str] = set()
    kept = []
    for name in (n.strip() for n in names):
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            kept.append(name)
    return kept


def _parts(conversation: Conversation) -> list[ConversationPart]:
    """Return the parts a Conversation answer lists (none when it lists none)."""
    listed = conversation.conversation_parts
    return list((listed.conversation_parts if listed else None) or [])


def _last_part_id(conversation: Conversation) -> str | None:
    """Return the id of the conversation's last listed part (what a call just created)."""
    parts = _parts(conversation)
    return parts[-1].id if parts else None


class IntercomClient:
    """An `ActionClient` for Intercom conversations (admin notes, tags, assignment, reply).

    ASSIGN reads `team_id` and `admin_id` from `action.target`: with both, the team (the
    inbox) is assigned first, then the admin; with `"open": true` an `open` part is sent
    before either, and with `snooze_minutes` a `snoozed` part after. SUSPEND and RELEASE
    are no-ops (assigning away from the bot suspends it; the team reassigns on hand-back).
    """

    def __init__(
        self,
        credentials: IntercomCredentials,
        *,
        dry_run: bool = False,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.platform = Platform.INTERCOM
        self.dry_run = dry_run
        self._admin_id = credentials.admin_id
        self._clock = clock
        transport = httpx.MockTransport(dry_run_answer) if dry_run else None
        self._http = httpx.Client(
            timeout=timeout, transport=transport, event_hooks={"request": [record_request]}
        )
        self._sdk = Intercom(
            token=credentials.token,
            base_url=credentials.base_url,
            environment=ENVIRONMENTS[credentials.region],
            headers={"Intercom-Version": credentials.api_version},
            timeout=timeout,
            httpx_client=self._http,
        )

    def close(self) -> None:
        """Close the underlying HTTP connection pool."""
        self._http.close()

    def perform(self, action: Action) -> Outcome:
        """Perform `action` once; the Outcome lists every request sent (or recorded).

        Raises `RateLimited` on 429 and `PlatformError` otherwise (retryable for 5xx,
        timeouts and transport errors); requests sent before a failure are not reported.
        """
        self._check(action)
        steps: dict[ActionKind, Callable[[Action], Outcome]] = {
            ActionKind.TAG: self._tag,
            ActionKind.NOTE: self._note,
            ActionKind.ASSIGN: self._assign,
            ActionKind.REPLY: self._reply,
            ActionKind.SUSPEND: lambda _: Outcome(skipped=SUSPEND_SKIPPED),
            ActionKind.RELEASE: lambda _: Outcome(skipped=RELEASE_SKIPPED),
        }
        with recording() as sent, translate_errors(self._clock):
            outcome = steps[action.kind](action)
        return replace(outcome, requests=tuple(sent))

    def find_marker(self, action: Action) -> bool:
        """Tell whether the NOTE's marker, or a REPLY comment with the same text, is there.

        Reads the conversation (`display_as=plaintext`) and looks at the body of every part
        created at or after `action.search_from` (all parts without `planned_at`): the reply
        text is the same in every episode, so an earlier episode's comment must not match.
        Other kinds, a NOTE without a marker and a REPLY without text answer False
        without a request. Any recent comment with the same text counts, whoever wrote it:
        posting the same public text twice is what must not happen.
        """
        self._check(action)
        if action.kind not in (ActionKind.NOTE, ActionKind.REPLY):
            return False
        if not (action.marker if action.kind is ActionKind.NOTE else action.text.strip()):
            return False
        with translate_errors(self._clock):
            conversation = self._sdk.conversations.find(
                action.conversation_id, display_as="plaintext", request_options=NO_RETRIES
            )
        return any(
            action.posted_since_planned(part.created_at) and self._matches(action, part)
            for part in _parts(conversation)
        )

    @staticmethod
    def _matches(action: Action, part: ConversationPart) -> bool:
        """Tell whether one conversation part is the note / reply `action` would post."""
        body = part.body or ""
        if action.kind is ActionKind.NOTE:
            return action.marker in body or action.marker in to_plain_text(body)
        return part.part_type == "comment" and same_text(body, action.text)

    def _check(self, action: Action) -> None:
        """Refuse an action meant for another platform (final: a retry cannot fix it)."""
        if action.platform != Platform.INTERCOM:
            message = f"not an Intercom action: {action.platform}"
            raise PlatformError(PLATFORM, message, retryable=False)

    def _tag(self, action: Action) -> Outcome:
        """Find or create each tag, then tag the conversation with it."""
        names = _unique(action.tags)
        if not names:
            return Outcome(skipped="no tags to add")
        for name in names:
            tag = self._sdk.tags.create(
                request=CreateOrUpdateTagRequest(name=name), request_options=NO_RETRIES
            )
            self._sdk.tags.tag_conversation(
                action.conversation_id,
                tag_id=tag.id,
                admin_id=self._admin_id,
                request_options=NO_RETRIES,
            )
        return Outcome()

    def _note(self, action: Action) -> Outcome:
        """Add an admin note: the text, the links and the marker line."""
        body = note_html(action.text, action.links, action.marker)
        return self._post_reply(action.conversation_id, "note", body)

    def _reply(self, action: Action) -> Outcome:
        """Post a public admin reply (comment) with the text only; no text, no reply."""
        if not action.text.strip():
            return Outcome(skipped="no reply text")
        return self._post_reply(action.conversation_id, "comment", note_html(action.text))

    def _post_reply(
        self, conversation_id: str, message_type: Literal["note", "comment"], body: str
    ) -> Outcome:
        """POST /conversations/{id}/reply as the acting admin; the new part is the reference."""
        request = AdminReplyConversationRequest(
            message_type=message_type, admin_id=self._admin_id, body=body
        )
        conversation = self._sdk.conversations.reply(
            conversation_id, request=request, request_options=NO_RETRIES
        )
        return Outcome(reference=_last_part_id(conversation))

    def _assign(self, action: Action) -> Outcome:
        """Open if asked, assign to the team, then to the admin, then snooze if asked."""
        team_id = _target_id(action.target, "team_id")
        admin_id = _target_id(action.target, "admin_id")
        if team_id is None and admin_id is None:
            return Outcome(skipped="no team_id or admin_id in the Intercom target")
        cid = action.conversation_id
        if action.target.get("open") is True:
            self._manage(cid, ConversationsManageRequestBody_Open(admin_id=self._admin_id))
        reference = None
        for kind, assignee in (("team", team_id), ("admin", admin_id)):
            if assignee is not None:
                part = ConversationsManageRequestBody_Assignment(
                    type=kind, admin_id=self._admin_id, assignee_id=assignee
                )
                reference = self._manage(cid, part)
        minutes = action.target.get("snooze_minutes")
        if isinstance(minutes, int) and minutes > 0:
            until = int(self._clock()) + minutes * 60
            snooze = ConversationsManageRequestBody_Snoozed(
                admin_id=self._admin_id, snoozed_until=until
            )
            self._manage(cid, snooze)
        return Outcome(reference=reference)

    def _manage(
        self,
        conversation_id: str,
        part: (
            ConversationsManageRequestBody_Open
            | ConversationsManageRequestBody_Assignment
            | ConversationsManageRequestBody_Snoozed
        ),
    ) -> str | None:
        """POST /conversations/{id}/parts; return the new part's id when listed."""
        conversation = self._sdk.conversations.manage(
            conversation_id, request=part, request_options=NO_RETRIES
        )
        return _last_part_id(conversation)
