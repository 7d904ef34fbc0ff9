"""The trigger body admins paste (trigger_body.json) and how its rendered text is read."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from connectors.model import Context, EventKind, Identities, Role
from connectors.zendesk.normalize import TRIGGER_BODY_TEMPLATE, delivery_id, normalize
from tests.connectors.connector_fixtures import fixture

AI_AGENT = "21003380718093"
IDS = Identities(bot_ids=frozenset({AI_AGENT}))


def render(template: str, values: dict[str, str]) -> dict[str, Any]:
    """Fill `{{placeholder}}`s the way Zendesk does (as JSON-escaped text)."""

    def value(match: re.Match[str]) -> str:
        return json.dumps(values.get(match.group(1), ""))[1:-1]

    rendered: dict[str, Any] = json.loads(re.sub(r"\{\{([a-z_.]+)\}\}", value, template))
    return rendered


def test_trigger_body_template_renders_to_a_body_the_normalizer_reads() -> None:
    template = TRIGGER_BODY_TEMPLATE.read_text(encoding="utf-8")
    placeholders = set(re.findall(r"\{\{([a-z_.]+)\}\}", template))
    assert "ticket.latest_comment.id" in placeholders and "current_user.role" in placeholders
    values = {
        "ticket.id": "77",
        "ticket.status": "Pending",
        "ticket.tags": "a b",
        "ticket.updated_at_with_timestamp": "2025-04-02T03:17Z",
        "ticket.latest_comment.id": "900",
        "ticket.latest_comment.author.id": "901",
        "ticket.latest_comment.is_public": "false",
        "ticket.latest_comment.value": 'Say "hi"\nplease',
        "current_user.id": "901",
        "current_user.role": "Agent",
    }
    body = render(template, values)
    event = normalize(body, Context("acme", delivery_id({}, body), IDS))
    assert (event.kind, event.status, event.tags) == (EventKind.NOTE, "pending", ("a", "b"))
    assert event.delivery_id == "trigger:77:900:pending:2025-04-02T03:17Z"
    assert event.message is not None
    assert (event.message.role, event.message.text) == (Role.AGENT, 'Say "hi"\nplease')


@pytest.mark.parametrize(
    ("author", "author_role", "current_user", "requester", "expected"),
    [
        ("901", "End-user", ("5", "Agent"), "2", Role.USER),
        ("901", "Light agent", ("901", "End-user"), "901", Role.AGENT),
        ("901", "", ("901", "Admin"), "2", Role.AGENT),
        ("901", "", ("5", "Agent"), "901", Role.USER),
        ("901", "", ("5", "Agent"), "2", Role.SYSTEM),
        (AI_AGENT, "Agent", ("5", "Agent"), "2", Role.BOT),
    ],
)
def test_trigger_author_role_falls_back_from_author_to_current_user_to_requester(
    author: str, author_role: str, current_user: tuple[str, str], requester: str, expected: Role
) -> None:
    body = fixture("zendesk", "trigger.ticket_updated")
    body["comment"].update(author_id=author, author_role=author_role)
    body["current_user"] = {"id": current_user[0], "role": current_user[1]}
    body["ticket"]["requester_id"] = requester
    message = normalize(body, Context("acme", "x", IDS)).message
    assert message is not None and message.role is expected
