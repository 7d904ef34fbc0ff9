"""The state API and Slack's button endpoint (a Flask blueprint registered by `app.py`).

- `GET  /api/v1/workspaces/<ws>/conversations/<platform>/<id>`: `{state, should_reply,
  decision, actions}`, so any bot can check before replying;
- `POST /api/v1/workspaces/<ws>/conversations/<platform>/<id>/handback`: hand the
  conversation back to the bot (a new episode);
- `POST /webhooks/slack/<ws>/interactivity`: the "Take it" / "Hand back" buttons of
  Handoff's Slack posts, verified and dispatched by slack-bolt from the raw body.

The API wants `Authorization: Bearer <token>`, the token being the secret that the
workspace's `handover.api_token` names. A missing or wrong token, an unknown workspace and
a workspace without a token all answer the same 401, so nothing reveals which exist.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

import gateway
from connectors.slack.blocks import TAKE_ACTION_ID
from connectors.slack.interactivity import (
    ButtonPress,
    build_interactivity_app,
    handle_interactivity,
)
from handover import commands
from handover.models import utcnow
from handover.observability import get_logger
from handover.runtime import RUNTIME_KEY, Runtime
from handover.state_view import conversation_state
from handover.workspaces import SecretMissing, UnknownWorkspace

blueprint = Blueprint("handoff_api", __name__)
CONVERSATION = "/api/v1/workspaces/<workspace>/conversations/<platform>/<conversation_id>"
UNAUTHORIZED = {"error": "unauthorized: send Authorization: Bearer <the workspace's API token>"}
log = get_logger("api")


def _runtime() -> Runtime:
    runtime: Runtime = current_app.config[RUNTIME_KEY]
    return runtime


def _authorized(runtime: Runtime, workspace: str) -> bool:
    """Check the bearer token against the workspace's `handover.api_token` secret."""
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    try:
        name = runtime.workspaces.policy(workspace).model.handover.api_token
        expected = runtime.workspaces.secret(name).value if name else ""
    except (UnknownWorkspace, SecretMissing):
        return False
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def _unauthorized() -> tuple[Response, int]:
    return jsonify(UNAUTHORIZED), 401


@blueprint.get(CONVERSATION)
def conversation(workspace: str, platform: str, conversation_id: str) -> Any:
    """Return the conversation's state, latest decision and actions."""
    runtime = _runtime()
    if not _authorized(runtime, workspace):
        return _unauthorized()
    policy = runtime.workspaces.policy(workspace)
    with runtime.db.read() as session:
        found = commands.find_conversation(session, workspace, platform, conversation_id)
        if found is None:
            return jsonify(error="no such conversation"), 404
        return jsonify(conversation_state(session, found, policy))


@blueprint.post(CONVERSATION + "/handback")
def handback(workspace: str, platform: str, conversation_id: str) -> Any:
    """Hand the conversation back to the bot; answer its new state."""
    runtime = _runtime()
    if not _authorized(runtime, workspace):
        return _unauthorized()
    changed = _change(runtime, workspace, platform, conversation_id, "api", commands.hand_back)
    if changed is None:
        return jsonify(error="no such conversation"), 404
    return conversation(workspace, platform, conversation_id)


@blueprint.post("/webhooks/slack/<workspace>/interactivity")
def slack_interactivity(workspace: str) -> Any:
    """Dispatch a Slack button press (raw body first; slack-bolt verifies the signature)."""
    runtime = _runtime()
    raw = request.get_data(cache=True)
    try:
        settings = runtime.workspaces.platform(workspace, "slack")
    except UnknownWorkspace:
        return jsonify(gateway.NOT_FOUND), 404
    try:
        secret = runtime.workspaces.secret(settings.webhook_secret).value
    except SecretMissing:
        unset = gateway.secret_unset(settings.webhook_secret)
        log.error(unset.log, status=unset.status, workspace=workspace, **unset.fields)
        return jsonify(unset.body), unset.status

    def on_action(press: ButtonPress) -> str | None:
        taking = press.action_id == TAKE_ACTION_ID
        command = commands.take if taking else commands.hand_back
        who = f"slack:{press.user_id}"
        changed = _change(
            runtime, workspace, "slack", press.conversation_id, who, command, press.episode
        )
        if not changed:
            return None
        verb = "Taken" if taking else "Handed back to the bot"
        return f"{verb} by <@{press.user_id}>"

    # in dry run the note was never posted: the press changes state, but no note is updated
    dry_run = runtime.workspaces.policy(workspace).model.handover.dry_run
    bolt = build_interactivity_app(secret, on_action, update_notes=not dry_run)
    headers_in = dict(request.headers.items())
    status, headers, body = handle_interactivity(bolt, raw, headers_in, secret)
    if status == 401:
        log.info("slack.interactivity_unauthorized", workspace=workspace, reason=body[:80])
    return Response(body, status=status, headers=headers)


def _change(
    runtime: Runtime,
    workspace: str,
    platform: str,
    conversation_id: str,
    who: str,
    command: Any,
    episode: int | None = None,
) -> bool | None:
    """Run `take` / `hand_back` under the conversation's lock.

    None when the conversation is unknown, or when `episode` is given and is not the
    current one (a button on an earlier escalation's note changes nothing).
    """
    where = {"workspace": workspace, "platform": platform, "conversation_id": conversation_id}
    with runtime.db.write() as session:
        found = commands.find_conversation(session, workspace, platform, conversation_id, lock=True)
        if found is None or (episode is not None and episode != found.episode):
            stale = found is not None
            log.warning("conversation.press_ignored", stale_note=stale, by=who, **where)
            return None
        changed: bool = command(session, found, who, utcnow())
    log.info("conversation." + command.__name__, changed=changed, by=who, **where)
    return changed
