"""Block Kit for Handoff's Slack note: pure functions, no network, no SDK objects.

The note posted in a triage channel is a `section` with the note text (mrkdwn, escaped),
a `context` line linking back to the customer's conversation, and an `actions` block
with two buttons, "Take it" and "Hand back", whose `value` is a compact JSON
`{"c": conversation_id}` read back by `connectors.slack.interactivity`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

TAKE_ACTION_ID = "handoff_take"
HANDBACK_ACTION_ID = "handoff_handback"
ACTIONS_BLOCK_ID = "handoff_actions"
SECTION_TEXT_LIMIT = 3000
"""Slack's limit on a section's text (characters)."""
FALLBACK_TEXT_LIMIT = 4000
"""Slack truncates a message's top-level `text` beyond this."""

Block = dict[str, Any]


def escape_mrkdwn(text: str) -> str:
    """Escape Slack's three control characters (`&`, `<`, `>`) in plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut escaped text to `limit` characters (ellipsis included), never inside an entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def mention(usergroup: str | None) -> str:
    """Return the mrkdwn mention of a user group (`<!subteam^ID>`), or "" without one."""
    return f"<!subteam^{escape_mrkdwn(usergroup)}>" if usergroup else ""


def button_value(conversation_id: str, episode: int = 0) -> str:
    """Return a button's value: the compact JSON `{"c": conversation_id, "e": episode}`."""
    data: dict[str, object] = {"c": conversation_id}
    if episode:
        data["e"] = episode
    return json.dumps(data, separators=(",", ":"))


def parse_button_episode(value: object) -> int | None:
    """Return the episode a button value names; None when it names none (or is not ours)."""
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    episode = data.get("e") if isinstance(data, dict) else None
    return episode if isinstance(episode, int) and episode > 0 else None


def parse_button_value(value: object) -> str | None:
    """Return the conversation id carried by a button value; None if it is not ours."""
    if not isinstance(value, str):
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    conversation = data.get("c") if isinstance(data, dict) else None
    return conversation if isinstance(conversation, str) and conversation else None


def _link(url: str, label: str) -> str:
    """Return a mrkdwn link `<url|label>` with both parts escaped."""
    return f"<{escape_mrkdwn(url).replace('|', '%7C')}|{escape_mrkdwn(label)}>"


def _context(conversation_id: str, permalink: str | None, links: Mapping[str, str]) -> Block:
    """Return the context line: the permalink (or the conversation id) and extra links."""
    where = (
        _link(permalink, "Open the conversation")
        if permalink
        else f"Conversation `{escape_mrkdwn(conversation_id)}`"
    )
    parts = [where, *(_link(url, name) for name, url in links.items())]
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(parts)}]}


def _button(label: str, action_id: str, value: str, *, primary: bool = False) -> Block:
    """Return one Block Kit button."""
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
    }
    if primary:
        button["style"] = "primary"
    return button


def _actions(conversation_id: str, episode: int = 0) -> Block:
    """Return the actions block with the "Take it" and "Hand back" buttons."""
    value = button_value(conversation_id, episode)
    return {
        "type": "actions",
        "block_id": ACTIONS_BLOCK_ID,
        "elements": [
            _button("Take it", TAKE_ACTION_ID, value, primary=True),
            _button("Hand back", HANDBACK_ACTION_ID, value),
        ],
    }


def note_text(text: str, *, usergroup: str | None = None, limit: int = SECTION_TEXT_LIMIT) -> str:
    """Return the note as escaped mrkdwn, after the user group mention if there is one."""
    prefix = mention(usergroup)
    body = escape_mrkdwn(text.strip()) or "(no text)"
    if prefix:
        return clip(f"{prefix}\n{body}", limit)
    return clip(body, limit)


def note_blocks(
    text: str,
    *,
    conversation_id: str,
    permalink: str | None = None,
    usergroup: str | None = None,
    links: Mapping[str, str] | None = None,
    buttons: bool = True,
    episode: int = 0,
) -> list[Block]:
    """Return the note's blocks: text section, context line, and (optionally) the buttons."""
    blocks: list[Block] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": note_text(text, usergroup=usergroup)},
        },
        _context(conversation_id, permalink, links or {}),
    ]
    if buttons:
        blocks.append(_actions(conversation_id, episode))
    return blocks


def note_fallback_text(text: str, *, usergroup: str | None = None) -> str:
    """Return the message's top-level `text` (notifications, clients without blocks)."""
    return note_text(text, usergroup=usergroup, limit=FALLBACK_TEXT_LIMIT)
