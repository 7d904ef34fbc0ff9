"""Perform handover actions on a Zendesk ticket through zenpy (see `connectors.actions`).

| kind    | request                                                                  |
|---------|--------------------------------------------------------------------------|
| tag     | `PUT /api/v2/tickets/{id}/tags.json` `{"tags": [...]}` (merge)            |
| note    | `PUT /api/v2/tickets/{id}.json` private `comment.html_body` with marker  |
| assign  | `PUT /api/v2/tickets/{id}.json` group / assignee / priority / fields      |
| reply   | `PUT /api/v2/tickets/{id}.json` public `comment.body`                    |
| suspend | Sunshine `POST /v2/apps/{app}/conversations/{id}/passControl`            |
| release | `DELETE /api/v2/tickets/{id}/tags.json` `{"tags": [...]}` (hand-back)     |

Every request goes through `RecordingTransport` (see `client_transport`), which records
it for the `Outcome`, fakes it in dry run and raises `RateLimited` / `PlatformError`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote

import requests
from zenpy import Zenpy  # type: ignore[import-untyped]
from zenpy.lib.api_objects import Comment, Ticket  # type: ignore[import-untyped]

from connectors.actions import Action, ActionKind, Outcome
from connectors.errors import PlatformError
from connectors.model import Platform
from connectors.zendesk.client_transport import PLATFORM, RecordingTransport, translated_errors

MARKER_PREFIX = "handoff-ref:"
"""The note's last line reads `handoff-ref: <marker>` (what `find_marker` looks for)."""


@dataclass(frozen=True)
class SunshineCredentials:
    """Sunshine Conversations API access: app id, API key id / secret, switchboard target."""

    app_id: str
    key_id: str
    key_secret: str = field(repr=False)
    base_url: str = "https://api.smooch.io"
    switchboard_target: str = "zd-agentWorkspace"


@dataclass(frozen=True)
class ZendeskCredentials:
    """Zendesk API access: `subdomain`, API user `email` and its API `token` (values)."""

    subdomain: str
    email: str
    token: str = field(repr=False)
    sunshine: SunshineCredentials | None = None


def note_html(action: Action) -> str:
    """The private note's HTML: one paragraph per line of text, links, then the marker."""
    lines = [line.strip() for line in action.text.splitlines()]
    html = [f"<p>{escape(line)}</p>" for line in lines if line]
    for label, url in action.links.items():
        link = f'<a href="{escape(url)}">{escape(url)}</a>'
        html.append(f"<p><small>{escape(label)}: {link}</small></p>")
    if action.marker:
        html.append(f"<p><small>{MARKER_PREFIX} {escape(action.marker)}</small></p>")
    return "".join(html)


def assignment_fields(target: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ticket fields an `assign` sets from its target, or None without a group."""
    group_id = target.get("group_id")
    if group_id in (None, ""):
        return None
    fields: dict[str, Any] = {"group_id": group_id}
    for name in ("assignee_id", "priority"):
        if target.get(name) not in (None, ""):
            fields[name] = target[name]
    custom = target.get("custom_fields") or {}
    if custom:
        fields["custom_fields"] = [{"id": _field_id(k), "value": v} for k, v in custom.items()]
    return fields


def _field_id(key: Any) -> Any:
    """A custom field id as Zendesk wants it (an integer), keys being strings in config."""
    return int(key) if isinstance(key, str) and key.isascii() and key.isdigit() else key


def _same_text(left: str, right: str) -> bool:
    """Compare two texts ignoring whitespace differences (Zendesk normalises them)."""
    return " ".join(left.split()) == " ".join(right.split())


def _note_matches(action: Action, comment: Any) -> bool:
    """A comment carries the note's marker in its plain or HTML body."""
    bodies = (getattr(comment, "body", None) or "", getattr(comment, "html_body", None) or "")
    return bool(action.marker) and any(action.marker in body for body in bodies)


def _reply_matches(action: Action, comment: Any) -> bool:
    """A public comment whose plain body is the reply's text."""
    body = getattr(comment, "body", None) or ""
    return bool(getattr(comment, "public", False)) and _same_text(body, action.text)


def _created(comment: Any) -> float | None:
    """A comment's `created_at` (ISO 8601, UTC) in unix seconds; None when absent or bad."""
    value = getattr(comment, "created_at", None)
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


_MATCHERS: dict[ActionKind, Callable[[Action, Any], bool]] = {
    ActionKind.NOTE: _note_matches,
    ActionKind.REPLY: _reply_matches,
}


class ZendeskClient:
    """Zendesk `ActionClient`: performs actions with zenpy and reports what was sent.

    `dry_run` runs the same code path but answers each request locally (canned
    success) without opening a socket. Zendesk is asked with email/token Basic auth;
    the client never retries or sleeps (429 raises `RateLimited` at once).
    """

    platform: Platform = Platform.ZENDESK

    def __init__(
        self, credentials: ZendeskCredentials, *, dry_run: bool = False, timeout: float = 10.0
    ) -> None:
        self._credentials = credentials
        self._timeout = timeout
        self._transport = RecordingTransport(dry_run=dry_run)
        self._session = requests.Session()
        self._session.mount("https://", self._transport)
        self._session.mount("http://", self._transport)
        self._zenpy = Zenpy(
            subdomain=credentials.subdomain,
            email=credentials.email,
            token=credentials.token,
            session=self._session,
            timeout=timeout,
            disable_cache=True,
        )
        self._handlers: dict[ActionKind, Callable[[Action], Outcome]] = {
            ActionKind.TAG: self._tag,
            ActionKind.NOTE: self._note,
            ActionKind.ASSIGN: self._assign,
            ActionKind.REPLY: self._reply,
            ActionKind.SUSPEND: self._suspend,
            ActionKind.RELEASE: self._release,
        }

    @property
    def dry_run(self) -> bool:
        """Whether requests are recorded and answered locally instead of sent."""
        return self._transport.dry_run

    def perform(self, action: Action) -> Outcome:
        """Perform `action` once; raise `RateLimited` or `PlatformError` on failure."""
        _check_platform(action)
        self._transport.take()
        with translated_errors(self._timeout):
            outcome = self._handlers[action.kind](action)
        return dataclasses.replace(outcome, requests=self._transport.take())

    def find_marker(self, action: Action) -> bool:
        """Tell whether the ticket already has the note (marker) or the public reply.

        Only comments created at or after `action.search_from` count: the reply's text is
        the same in every episode, so an earlier episode's reply must not match.
        """
        _check_platform(action)
        matches = _MATCHERS.get(action.kind)
        if matches is None:
            return False
        ticket_id = _ticket_id(action)
        try:
            with translated_errors(self._timeout):
                comments = self._zenpy.tickets.comments(ticket_id)
                return any(
                    action.posted_since_planned(_created(comment)) and matches(action, comment)
                    for comment in comments
                )
        finally:
            self._transport.take()

    def _tag(self, action: Action) -> Outcome:
        """Add the action's tags (PUT tags merges with the ticket's tags)."""
        if not action.tags:
            return Outcome(skipped="no tags to add")
        self._zenpy.tickets.add_tags(_ticket_id(action), list(action.tags))
        return Outcome()

    def _release(self, action: Action) -> Outcome:
        """Remove the escalation's tags (DELETE tags removes only those listed)."""
        if not action.tags:
            return Outcome(skipped="no tags to remove")
        self._zenpy.tickets.delete_tags(_ticket_id(action), list(action.tags))
        return Outcome()

    def _note(self, action: Action) -> Outcome:
        """Add a private comment carrying the marker."""
        comment = Comment(html_body=note_html(action), public=False)
        return self._update(Ticket(id=_ticket_id(action), comment=comment))

    def _assign(self, action: Action) -> Outcome:
        """Set group and, when given, assignee, priority and custom fields in one PUT."""
        fields = assignment_fields(action.target)
        if fields is None:
            return Outcome(skipped="no Zendesk group configured")
        self._zenpy.tickets.update(Ticket(id=_ticket_id(action), **fields))
        return Outcome()

    def _reply(self, action: Action) -> Outcome:
        """Add a public comment with the action's plain text."""
        if not action.text.strip():
            return Outcome(skipped="no reply text")
        comment = Comment(body=action.text, public=True)
        return self._update(Ticket(id=_ticket_id(action), comment=comment))

    def _update(self, ticket: Any) -> Outcome:
        """PUT a comment on the ticket; the reference is the new comment's id."""
        audit = self._zenpy.tickets.update(ticket)
        return Outcome(reference=_comment_id(audit))

    def _suspend(self, action: Action) -> Outcome:
        """Pass the messaging conversation's control to the agents (Sunshine switchboard)."""
        sunshine = self._credentials.sunshine
        conversation_id = action.target.get("sunshine_conversation_id")
        if sunshine is None:
            return Outcome(skipped="no Sunshine Conversations credentials configured")
        if not conversation_id:
            return Outcome(skipped="no sunshine_conversation_id: not a messaging ticket")
        body: dict[str, Any] = {
            "switchboardIntegration": sunshine.switchboard_target,
            "metadata": {"handoff_key": action.key},
        }
        auth = (sunshine.key_id, sunshine.key_secret)
        url = pass_control_url(sunshine, str(conversation_id))
        self._session.post(url, json=body, auth=auth, timeout=self._timeout)
        return Outcome()


def pass_control_url(sunshine: SunshineCredentials, conversation_id: str) -> str:
    """The Sunshine Conversations passControl URL for one conversation."""
    app, conversation = quote(sunshine.app_id, safe=""), quote(conversation_id, safe="")
    base = sunshine.base_url.rstrip("/")
    return f"{base}/v2/apps/{app}/conversations/{conversation}/passControl"


def _check_platform(action: Action) -> None:
    """Refuse an action meant for another platform."""
    if action.platform is not Platform.ZENDESK:
        raise PlatformError(PLATFORM, f"not a Zendesk action: {action.platform}")


def _ticket_id(action: Action) -> int:
    """The Zendesk ticket id of the action's conversation (a positive integer)."""
    if not (action.conversation_id.isascii() and action.conversation_id.isdigit()):
        message = f"not a Zendesk ticket id: {action.conversation_id!r}"
        raise PlatformError(PLATFORM, message, retryable=False)
    return int(action.conversation_id)


def _comment_id(audit: Any) -> str | None:
    """The id of the comment an update created, from its audit's `Comment` event."""
    events = getattr(getattr(audit, "audit", None), "events", None) or ()
    for event in events:
        if isinstance(event, dict) and event.get("type") == "Comment" and event.get("id"):
            return str(event["id"])
    return None
