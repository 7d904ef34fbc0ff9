"""Perform Handoff's actions on Slack through `slack_sdk.WebClient`.

tag → `reactions.add` on the thread's root; note → `chat.postMessage` in the target
(triage) channel with a permalink, a user group mention and "Take it" / "Hand back"
buttons, or in the customer's thread without a target; reply → `chat.postMessage` in
the customer's thread; assign and suspend are deliberate no-ops. Notes and replies carry
a marker in their metadata that `find_marker` looks for (`connectors.slack.markers`).
Conversation ids are `<channel>:<thread_ts>` or `<channel>` (an un-threaded direct
message).

The client never retries (`retry_handlers=[]`; the outbox owns retries) and records
every request it sends (never headers, never the token). In dry run the same SDK code
path runs but the transport answers a canned success without opening a socket (both in
`connectors.slack.web`).
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from connectors.actions import UNSAFE_TO_REPEAT, Action, ActionKind, Outcome
from connectors.errors import PlatformError
from connectors.model import Platform
from connectors.slack.blocks import escape_mrkdwn, note_blocks, note_fallback_text
from connectors.slack.markers import NOTE_EVENT, REPLY_EVENT, marker_metadata, marker_posted
from connectors.slack.web import RecordingWebClient, error_code, map_api_error, map_network_error

PLATFORM = Platform.SLACK.value


@dataclass(frozen=True)
class SlackConversation:
    """A Slack conversation id split into its channel and thread root (None for a DM)."""

    channel: str
    thread_ts: str | None = None

    @classmethod
    def parse(cls, conversation_id: str) -> SlackConversation:
        """Split `<channel>:<thread_ts>` or `<channel>`; ValueError when there is no channel."""
        channel, _, thread_ts = conversation_id.partition(":")
        if not channel.strip():
            raise ValueError(f"not a Slack conversation id: {conversation_id!r}")
        return cls(channel, thread_ts or None)


def _check_platform(action: Action) -> None:
    """Refuse an action meant for another platform (final: a retry cannot fix it)."""
    if action.platform is not Platform.SLACK:
        raise PlatformError(PLATFORM, f"not a Slack action: {action.platform}", retryable=False)


def _conversation(action: Action) -> SlackConversation:
    """Return the action's conversation; a non-retryable `PlatformError` if malformed."""
    try:
        return SlackConversation.parse(action.conversation_id)
    except ValueError as err:
        raise PlatformError(PLATFORM, str(err), retryable=False) from err


def _target_channel(action: Action) -> str | None:
    """Return the target (triage) channel of an action, if it has one."""
    channel = action.target.get("channel")
    return str(channel) if channel else None


def _usergroup(action: Action) -> str | None:
    """Return the user group the note mentions, if any."""
    group = action.target.get("usergroup")
    return str(group) if group else None


def _marker_place(action: Action) -> tuple[str, str | None]:
    """Return where the action posts: a note's target channel, else the thread (or DM)."""
    conversation = _conversation(action)
    target = _target_channel(action) if action.kind is ActionKind.NOTE else None
    if target is not None:
        return target, None
    return conversation.channel, conversation.thread_ts


def _reference(response: SlackResponse) -> str | None:
    """Return the `ts` of the message a call created."""
    ts = response.get("ts")
    return str(ts) if ts else None


class SlackClient:
    """Performs `Action`s on Slack (see the module docstring for what each kind does)."""

    platform: Platform = Platform.SLACK

    def __init__(
        self,
        token: str,
        *,
        reaction: str = "rotating_light",
        base_url: str | None = None,
        timeout: float = 10.0,
        dry_run: bool = False,
    ) -> None:
        self.reaction = reaction
        self.timeout = timeout
        self.dry_run = dry_run
        self._web = RecordingWebClient(
            dry_run=dry_run,
            token=token,
            base_url=base_url or WebClient.BASE_URL,
            timeout=timeout,  # urllib takes float seconds (the SDK annotates int)
            retry_handlers=[],
        )
        self._handlers: dict[ActionKind, Callable[[Action], Outcome]] = {
            ActionKind.TAG: self._tag,
            ActionKind.NOTE: self._note,
            ActionKind.ASSIGN: self._assign,
            ActionKind.REPLY: self._reply,
            ActionKind.SUSPEND: self._suspend,
            ActionKind.RELEASE: lambda _: Outcome(skipped="on Slack a hand-back needs no call"),
        }

    def perform(self, action: Action) -> Outcome:
        """Perform `action` once; raise `RateLimited` or `PlatformError` on failure."""
        _check_platform(action)
        handler = self._handlers[action.kind]
        with self._web.recording() as sent, self._translated_errors():
            outcome = handler(action)
        return replace(outcome, requests=tuple(sent))

    def find_marker(self, action: Action) -> bool:
        """Tell whether a note / reply carrying `action.marker` is already on Slack.

        Reads the thread (replies) or the channel (history) the action posts to, from
        `action.search_from` on, up to `MARKER_PAGES` pages (`markers.marker_posted`).
        """
        _check_platform(action)
        if not action.marker or action.kind not in UNSAFE_TO_REPEAT:
            return False
        with self._web.recording(), self._translated_errors():
            channel, thread_ts = _marker_place(action)
            return marker_posted(self._web, action, channel, thread_ts)

    def usergroup_members(self, usergroup: str) -> frozenset[str]:
        """Return the user ids of a user group (`usergroups.users.list`, `usergroups:read`)."""
        with self._web.recording(), self._translated_errors():
            response = self._web.usergroups_users_list(usergroup=usergroup)
        users = response.get("users")
        return frozenset(str(user) for user in users) if isinstance(users, list) else frozenset()

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        """Turn SDK and network errors into the connector error tree."""
        try:
            yield
        except SlackApiError as err:
            raise map_api_error(err) from err
        except (OSError, http.client.HTTPException) as err:  # URLError, timeouts, resets
            raise map_network_error(err, self.timeout) from err

    def _tag(self, action: Action) -> Outcome:
        """React on the thread's root; `already_reacted` counts as done."""
        conversation = _conversation(action)
        if conversation.thread_ts is None:
            return Outcome(skipped="a direct-message conversation has no thread root to react to")
        try:
            self._web.reactions_add(
                channel=conversation.channel, name=self.reaction, timestamp=conversation.thread_ts
            )
        except SlackApiError as err:
            if error_code(err.response) != "already_reacted":
                raise
        return Outcome()

    def _note(self, action: Action) -> Outcome:
        """Post the note in the target channel, or in the customer's thread without one."""
        conversation = _conversation(action)
        target = _target_channel(action)
        if target is not None:
            return self._note_in_channel(action, conversation, target)
        if conversation.thread_ts is None:
            return Outcome(
                skipped="no target channel, and a note in a direct message would reach the customer"
            )
        return self._post_note(action, conversation.channel, conversation.thread_ts, buttons=False)

    def _note_in_channel(
        self, action: Action, conversation: SlackConversation, target: str
    ) -> Outcome:
        """Post the note with buttons in the triage channel, linking back to the thread."""
        permalink = None
        if conversation.thread_ts is not None:
            response = self._web.chat_getPermalink(
                channel=conversation.channel, message_ts=conversation.thread_ts
            )
            permalink = str(response.get("permalink") or "") or None
        return self._post_note(action, target, None, buttons=True, permalink=permalink)

    def _post_note(
        self,
        action: Action,
        channel: str,
        thread_ts: str | None,
        *,
        buttons: bool,
        permalink: str | None = None,
    ) -> Outcome:
        """Post the note's blocks with `handoff_note` metadata; the reference is its ts."""
        usergroup = _usergroup(action)
        blocks = note_blocks(
            action.text,
            conversation_id=action.conversation_id,
            permalink=permalink,
            usergroup=usergroup,
            links=action.links,
            buttons=buttons,
            episode=action.episode,
        )
        response = self._web.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=note_fallback_text(action.text, usergroup=usergroup),
            blocks=blocks,
            metadata=marker_metadata(NOTE_EVENT, action),
        )
        return Outcome(reference=_reference(response))

    def _reply(self, action: Action) -> Outcome:
        """Reply in the customer's thread (or DM) with `handoff_reply` metadata."""
        conversation = _conversation(action)
        response = self._web.chat_postMessage(
            channel=conversation.channel,
            thread_ts=conversation.thread_ts,
            text=escape_mrkdwn(action.text),
            metadata=marker_metadata(REPLY_EVENT, action),
        )
        return Outcome(reference=_reference(response))

    def _assign(self, action: Action) -> Outcome:
        """Nothing to do: the note in the target channel is the assignment."""
        return Outcome(skipped="on Slack the note in the target channel is the assignment")

    def _suspend(self, action: Action) -> Outcome:
        """Nothing to do on Slack itself: Handoff's own replies stop."""
        return Outcome(skipped="on Slack Handoff's own replies stop; other bots read should_reply")
