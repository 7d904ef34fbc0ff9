from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.errors import PayloadInvalid, UnsupportedEvent
from connectors.model import (
    Attachment,
    Context,
    ConversationKey,
    Event,
    EventKind,
    Identities,
    Message,
    Platform,
    Role,
)
from connectors.zendesk.normalize import (
    HANDLED_EVENTS,
    delivery_id,
    event_type,
    normalize,
)
from tests.connectors.connector_fixtures import fixture, fixture_names

CUSTOMER, AGENT = "20918463205789", "8447388090495"
AI_AGENT, HANDOFF_USER = "21003380718093", "21003380720001"
IDS = Identities(bot_ids=frozenset({AI_AGENT}), self_ids=frozenset({HANDOFF_USER}))
TICKET = ConversationKey(Platform.ZENDESK, "acme", "5158")
TRIGGER_TICKET = ConversationKey(Platform.ZENDESK, "acme", "8123")
TAGS = ("vip", "billing")


def run(name: str) -> Event:
    body = fixture("zendesk", name)
    return normalize(body, Context("acme", delivery_id({}, body), IDS))


def comment(body: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = body["event"]["comment"]
    return raw


def customer_comment(body: dict[str, Any]) -> Event:
    when = datetime(2025, 3, 11, 9, 14, 52, 418093, tzinfo=UTC)
    text = "Hallo,\n\nich wurde für März zweimal belastet (2 × 49,00 €).\n"
    text += "Kann ich bitte mit einem Menschen sprechen?"
    pdf = Attachment(
        "Kontoauszug_März.pdf",
        "https://acme.zendesk.com/attachments/token/Xk2vQ9/?name=Kontoauszug_M%C3%A4rz.pdf",
        "application/pdf",
    )
    message = Message(
        "30064117810589", TICKET, Role.USER, CUSTOMER, when, text, True, (pdf,), comment(body)
    )
    return Event(
        EventKind.MESSAGE,
        "zen:event-type:ticket.comment_added",
        "d4f5c389-8f4a-4c2e-a1b9-8e4f39c71d52",
        TICKET,
        when,
        messages=(message,),
        status="open",
        actor_id=CUSTOMER,
        tags=TAGS,
        account_id="22129848",
        raw=body,
    )


def agent_html_reply(body: dict[str, Any]) -> Event:
    when = datetime(2025, 3, 11, 9, 31, 5, tzinfo=UTC)
    text = (
        "Hallo Jürgen,\n\ndanke für den Hinweis – ich habe die doppelte Buchung storniert:\n\n"
        "- Gutschrift: 49,00 €\n- Dauer: 3–5 Werktage\n\nViele Grüße\nMarta"
    )
    message = Message("30064119203377", TICKET, Role.AGENT, AGENT, when, text, raw=comment(body))
    return Event(
        EventKind.MESSAGE,
        "zen:event-type:ticket.comment_added",
        "5b0f7e1a-3c9d-4f6e-8a21-7d4c2b9e0f13",
        TICKET,
        when,
        messages=(message,),
        status="open",
        actor_id=AGENT,
        tags=TAGS,
        account_id="22129848",
        raw=body,
    )


def ai_agent_reply(body: dict[str, Any]) -> Event:
    when = datetime(2025, 3, 11, 9, 15, 20, 772000, tzinfo=UTC)
    text = (
        "I've passed this on to our billing team. "
        "Someone will follow up by email within one business day."
    )
    message = Message("30064117955120", TICKET, Role.BOT, AI_AGENT, when, text, raw=comment(body))
    return Event(
        EventKind.MESSAGE,
        "zen:event-type:ticket.comment_added",
        "9e2c4a61-0b7d-4d1f-9c3e-51a8f6d2b7c4",
        TICKET,
        when,
        messages=(message,),
        status="open",
        actor_id=AI_AGENT,
        tags=TAGS,
        account_id="22129848",
        raw=body,
    )


def handoff_note(body: dict[str, Any]) -> Event:
    when = datetime(2025, 3, 11, 9, 15, 31, 104000, tzinfo=UTC)
    text = "Escalated by Handoff (user request)\n\nSummary: customer charged twice for March."
    note = Message(
        "30064117961844", TICKET, Role.SYSTEM, HANDOFF_USER, when, text, False, raw=comment(body)
    )
    return Event(
        EventKind.NOTE,
        "zen:event-type:ticket.comment_added",
        "1c7d9b3e-6a2f-4e8b-b0d5-c3f1a9e7d264",
        TICKET,
        when,
        messages=(note,),
        status="open",
        actor_id=HANDOFF_USER,
        from_self=True,
        tags=("billing", "sys_escalation", "vip"),
        account_id="22129848",
        raw=body,
    )


def solved(body: dict[str, Any]) -> Event:
    return Event(
        EventKind.STATUS_CHANGED,
        "zen:event-type:ticket.status_changed",
        "7a3e5c19-d82b-4b6f-a0e4-9f1c3d5b7a28",
        TICKET,
        datetime(2025, 3, 12, 16, 40, 3, 250000, tzinfo=UTC),
        status="solved",
        actor_id=AGENT,
        tags=TAGS,
        account_id="22129848",
        raw=body,
    )


def trigger_customer(body: dict[str, Any]) -> Event:
    when = datetime(2025, 4, 2, 3, 17, tzinfo=UTC)
    text = '注文番号 AC123456 の返品について、"担当者"と話したいです。\n\nよろしくお願いします。'
    customer = "20918463211110"
    message = Message(
        "30078812345017", TRIGGER_TICKET, Role.USER, customer, when, text, raw=body["comment"]
    )
    return Event(
        EventKind.MESSAGE,
        "handoff:ticket.updated",
        "trigger:8123:30078812345017:open:2025-04-02T03:17Z",
        TRIGGER_TICKET,
        when,
        messages=(message,),
        status="open",
        actor_id=customer,
        tags=("returns", "vip"),
        raw=body,
    )


def trigger_agent_solved(body: dict[str, Any]) -> Event:
    when = datetime(2025, 4, 2, 8, 45, tzinfo=UTC)  # comment time not rendered: ticket time
    text = (
        "The return label for order AC123456 is attached to your order page. Refund within 5 days."
    )
    message = Message(
        "30078899001123", TRIGGER_TICKET, Role.AGENT, AGENT, when, text, raw=body["comment"]
    )
    return Event(
        EventKind.MESSAGE,
        "handoff:ticket.updated",
        "trigger:8123:30078899001123:solved:2025-04-02T08:45Z",
        TRIGGER_TICKET,
        when,
        messages=(message,),
        status="solved",
        actor_id=AGENT,
        tags=("returns", "sys_escalation", "vip"),
        raw=body,
    )


EXPECTED: dict[str, Callable[[dict[str, Any]], Event]] = {
    "ticket.comment_added": customer_comment,
    "ticket.comment_added--agent_html": agent_html_reply,
    "ticket.comment_added--ai_agent": ai_agent_reply,
    "ticket.comment_added--handoff_note": handoff_note,
    "ticket.status_changed": solved,
    "trigger.ticket_updated": trigger_customer,
    "trigger.ticket_updated--agent_solved": trigger_agent_solved,
}


def test_every_fixture_has_an_expected_event() -> None:
    assert sorted(EXPECTED) == fixture_names("zendesk")


def test_every_handled_event_has_a_fixture() -> None:
    recorded = {event_type(fixture("zendesk", name)) for name in fixture_names("zendesk")}
    assert recorded >= HANDLED_EVENTS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_normalizes_to_exactly_the_expected_event(name: str) -> None:
    assert run(name) == EXPECTED[name](fixture("zendesk", name))


def test_solved_status_and_solving_trigger_close_the_conversation() -> None:
    assert run("ticket.status_changed").closes
    assert run("trigger.ticket_updated--agent_solved").closes
    assert not run("ticket.comment_added").closes


def test_delivery_id_prefers_the_invocation_header_only_for_unknown_shapes() -> None:
    headers = {"x-zendesk-webhook-invocation-id": "8350205582"}
    body = fixture("zendesk", "ticket.comment_added")
    assert delivery_id(headers, body) == "d4f5c389-8f4a-4c2e-a1b9-8e4f39c71d52"
    assert delivery_id(headers, {"type": "zen:legacy"}) == "8350205582"
    with pytest.raises(PayloadInvalid, match="X-Zendesk-Webhook-Invocation-Id"):
        delivery_id({}, {"type": "zen:legacy"})


def test_unhandled_event_type_is_unsupported() -> None:
    body = fixture("zendesk", "ticket.status_changed")
    body["type"] = "zen:event-type:ticket.priority_changed"
    with pytest.raises(UnsupportedEvent, match="priority_changed"):
        normalize(body, Context("acme", "x", IDS))


COMMENT = ("event", "comment")
ATTACHMENTS = "event.comment.attachments"
MALFORMED: list[tuple[str, tuple[str, ...], Any, str]] = [
    ("ticket.comment_added", (*COMMENT, "author", "id"), None, "event.comment.author.id"),
    ("ticket.comment_added", (*COMMENT, "is_public"), "maybe", "event.comment.is_public"),
    ("ticket.comment_added", COMMENT, "text", "event.comment"),
    ("ticket.comment_added", ("detail", "id"), None, "detail.id"),
    ("ticket.comment_added", ("time",), "last tuesday", "time"),
    ("ticket.comment_added", (*COMMENT, "attachments"), [{}], f"{ATTACHMENTS}[0].file_name"),
    ("ticket.status_changed", ("event",), None, "event.current"),
    ("trigger.ticket_updated", ("comment", "id"), "", "comment.id"),
    ("trigger.ticket_updated", ("ticket", "updated_at"), "", "ticket.updated_at"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "path", "value", "error_path"), MALFORMED)
def test_malformed_payload_names_the_json_path(
    name: str, path: tuple[str, ...], value: Any, error_path: str
) -> None:
    body = fixture("zendesk", name)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    if name == "ticket.status_changed":
        del body["detail"]["status"]
    with pytest.raises(PayloadInvalid) as error:
        normalize(body, Context("acme", "x", IDS))
    assert error.value.path == error_path
