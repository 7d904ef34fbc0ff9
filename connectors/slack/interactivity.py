"""Slack's interactivity endpoint: the note's "Take it" / "Hand back" buttons, with Bolt.

`build_interactivity_app` returns a `slack_bolt.App` that verifies the v0 signature
(401 on a bad or stale one), acks the two Handoff buttons and hands each press to
`on_action` as a `ButtonPress`. The listener runs before the response
(`process_before_response=True`), so `on_action` must be quick (record / enqueue).

No Web API call is made on this path: Bolt is given an `authorize` function that
answers from the constructor's client instead of calling `auth.test`.

`handle_interactivity` dispatches one HTTP request from its RAW body (form-encoded
`payload=...`), so the web route must read the body bytes before anything parses the
form (Werkzeug empties the stream once `request.form` is touched).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltRequest, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from connectors.errors import SignatureInvalid
from connectors.slack.blocks import (
    HANDBACK_ACTION_ID,
    TAKE_ACTION_ID,
    parse_button_episode,
    parse_button_value,
)
from connectors.slack.verify import verify

HANDOFF_ACTION_IDS = (TAKE_ACTION_ID, HANDBACK_ACTION_ID)

_log = logging.getLogger(__name__)
_QUIET = logging.getLogger("handoff.slack_bolt")
_QUIET.setLevel(logging.ERROR)  # Bolt's warnings quote request bodies


@dataclass(frozen=True)
class ButtonPress:
    """Someone pressed a Handoff button on a note (`action_id` says which)."""

    action_id: str
    conversation_id: str
    user_id: str
    team_id: str
    channel_id: str
    message_ts: str
    episode: int | None = None
    """The escalation's episode the note belongs to (None on notes that do not say)."""


def _id_of(body: Mapping[str, Any], key: str) -> str:
    """Return `body[key]["id"]` as a string, or "" when missing."""
    part = body.get(key)
    value = part.get("id") if isinstance(part, Mapping) else None
    return str(value) if value else ""


def _section(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """Return `body[key]` when it is an object, else an empty mapping."""
    part = body.get(key)
    return part if isinstance(part, Mapping) else {}


def button_press(body: Mapping[str, Any], action: Mapping[str, Any]) -> ButtonPress | None:
    """Build a `ButtonPress` from a `block_actions` payload; None if the value is not ours."""
    conversation_id = parse_button_value(action.get("value"))
    if conversation_id is None:
        return None
    container = _section(body, "container")
    user = _section(body, "user")
    return ButtonPress(
        action_id=str(action.get("action_id", "")),
        conversation_id=conversation_id,
        user_id=_id_of(body, "user"),
        team_id=_id_of(body, "team") or str(user.get("team_id") or ""),
        channel_id=_id_of(body, "channel") or str(container.get("channel_id") or ""),
        message_ts=str(_section(body, "message").get("ts") or container.get("message_ts") or ""),
        episode=parse_button_episode(action.get("value")),
    )


def _authorizer(token: str | None) -> Callable[..., AuthorizeResult]:
    """Return a Bolt `authorize` function that trusts the request's ids (no auth.test)."""

    def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=token
        )

    return authorize


def _listener_client(client: WebClient | None) -> WebClient:
    """Return a token-less copy of `client` for Bolt (the token travels via `authorize`)."""
    if client is None:
        return WebClient()
    return WebClient(
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        retry_handlers=list(client.retry_handlers),
    )


OnAction = Callable[[ButtonPress], str | None]
"""Handles a press; returns what the note should now say (e.g. "Taken by <@U1>"), or None."""


def _listener(on_action: OnAction, update_notes: bool) -> Callable[..., None]:
    """Return the Bolt action listener: ack, hand the press on, then update the note."""

    def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        press = button_press(body, action)
        if press is None:
            _log.warning("ignored a %s press without a Handoff value", action.get("action_id"))
            return
        outcome = on_action(press)
        if outcome and update_notes:
            keep = (HANDBACK_ACTION_ID,) if press.action_id == TAKE_ACTION_ID else ()
            _update_note(respond, body, outcome, keep)

    return listener


def answered_blocks(
    message: Mapping[str, Any], outcome: str, keep: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The note's blocks with only the `keep` buttons, plus a line saying what happened.

    After "Take it" the note keeps its "Hand back" button; after "Hand back" it has none.
    """
    blocks = message.get("blocks")
    kept: list[dict[str, Any]] = []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "actions":
            elements = [e for e in block.get("elements", []) if e.get("action_id") in keep]
            if elements:
                kept.append({**block, "elements": elements})
            continue
        kept.append(block)
    return [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": outcome}]}]


def _update_note(
    respond: Respond, body: Mapping[str, Any], outcome: str, keep: tuple[str, ...]
) -> None:
    """Replace the note through the press's `response_url` (a failure is logged, not raised)."""
    message = _section(body, "message")
    try:
        respond(
            replace_original=True,
            text=f"{message.get('text', '')}\n{outcome}".strip(),
            blocks=answered_blocks(message, outcome, keep),
        )
    except Exception as exc:  # the press was recorded; only the note's look is stale
        _log.warning("could not update the note after a press: %s", type(exc).__name__)


def build_interactivity_app(
    signing_secret: str,
    on_action: OnAction,
    client: WebClient | None = None,
    *,
    update_notes: bool = True,
) -> App:
    """Return a Bolt app that verifies requests and routes Handoff button presses.

    `client` only sets where listeners' Web API calls would go (base URL, timeout);
    its token is handed to Bolt through `authorize`, never checked with `auth.test`.
    """
    if not signing_secret:
        raise ValueError("Slack signing secret is empty")
    app = App(
        signing_secret=signing_secret,
        client=_listener_client(client),
        authorize=_authorizer(client.token if client is not None else None),
        process_before_response=True,
        request_verification_enabled=True,
        logger=_QUIET,
        token_verification_enabled=False,
    )
    listener = _listener(on_action, update_notes)
    for action_id in HANDOFF_ACTION_IDS:
        app.action(action_id)(listener)
    return app


def _flat_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """Join Bolt's multi-valued response headers into one string each."""
    return {
        name: value if isinstance(value, str) else ", ".join(value)
        for name, value in headers.items()
    }


def handle_interactivity(
    app: App, raw_body: bytes, headers: Mapping[str, str], signing_secret: str
) -> tuple[int, dict[str, str], str]:
    """Dispatch one interactivity request from its raw body; return status, headers, body.

    The signature is checked first by Handoff's own verifier, so a forged request is
    answered 401 without Bolt logging it (Bolt's log line would carry the whole body);
    Bolt checks it again. A body Bolt cannot parse answers 400.
    """
    try:
        verify(signing_secret, {k.lower(): v for k, v in headers.items()}, raw_body)
    except SignatureInvalid as exc:
        return 401, {"content-type": "text/plain"}, f"invalid signature ({exc.reason})"
    try:
        request = BoltRequest(
            body=raw_body.decode("utf-8", errors="replace"), headers=dict(headers)
        )
    except ValueError:
        return 400, {"content-type": "text/plain"}, "malformed body"
    response = app.dispatch(request)
    return response.status, _flat_headers(response.headers), response.body
