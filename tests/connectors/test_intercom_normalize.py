from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.errors import PayloadInvalid, UnsupportedEvent
from connectors.intercom.normalize import HANDLED_EVENTS, delivery_id, event_type, normalize
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
from tests.connectors.connector_fixtures import fixture, fixture_names

CONTACT, LEAD = "65f1c2d3e4b5a69788a1b2c3", "65f1c2d3e4b5a69788a1ffff"
CAMILLE, FIN, HANDOFF_ADMIN = "4875123", "5819321", "6023411"
IDS = Identities(self_ids=frozenset({HANDOFF_ADMIN}))
CONVERSATION = ConversationKey(Platform.INTERCOM, "acme", "215469620112938")
APP = "ecahpwf5"


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def run(name: str, ids: Identities = IDS) -> Event:
    body = fixture("intercom", name)
    return normalize(body, Context("acme", delivery_id({}, body), ids))


def part(body: dict[str, Any], index: int = 0) -> dict[str, Any]:
    raw: dict[str, Any] = body["data"]["item"]["conversation_parts"]["conversation_parts"][index]
    return raw


def event(body: dict[str, Any], kind: EventKind, **fields: Any) -> Event:
    """The expected event; the fields every topic shares are taken from the envelope."""
    shared: dict[str, Any] = {"status": "open", "account_id": APP, "raw": body} | fields
    return Event(kind, body["topic"], body["id"], CONVERSATION, utc(body["created_at"]), **shared)


def user_created(body: dict[str, Any]) -> Event:
    text = "Bonjour, ma commande n° AC-88412 n'est toujours pas arrivée.\n\nPouvez-vous vérifier ?"
    screenshot = Attachment(
        "capture-suivi.png",
        "https://downloads.intercomcdn.com/i/o/ecahpwf5/1009/capture-suivi.png",
        "image/png",
    )
    source = body["data"]["item"]["source"]
    message = Message(
        "2231446807", CONVERSATION, Role.USER, CONTACT, utc(1717000000), text, True,
        (screenshot,), source,
    )  # fmt: skip
    return event(body, EventKind.MESSAGE, messages=(message,), actor_id=CONTACT)


def user_replied(body: dict[str, Any]) -> Event:
    text = "Can I talk to a real person please?"
    message = Message(
        "23657891288", CONVERSATION, Role.USER, CONTACT, utc(1717000060), text, raw=part(body)
    )
    return event(body, EventKind.MESSAGE, messages=(message,), actor_id=CONTACT)


def lead_replied_twice(body: dict[str, Any]) -> Event:
    receipt = Attachment(
        "recibo.jpg", "https://downloads.intercomcdn.com/i/o/ecahpwf5/1011/recibo.jpg", "image/jpeg"
    )
    first = Message(
        "23657891301", CONVERSATION, Role.USER, LEAD, utc(1717000090), "Hola, ¿siguen ahí?",
        raw=part(body, 0),
    )  # fmt: skip
    second = Message(
        "23657891302", CONVERSATION, Role.USER, LEAD, utc(1717000094),
        "Quiero hablar con una persona, por favor.", True, (receipt,), part(body, 1),
    )  # fmt: skip
    return event(body, EventKind.MESSAGE, messages=(first, second), actor_id=LEAD)


def admin_replied(body: dict[str, Any]) -> Event:
    text = (
        "Bonjour Élodie, c'est Camille de l'équipe logistique 👋\n\n"
        "J'ai relancé le transporteur : suivez le colis ici (https://track.example.com/AC-88412)."
    )
    message = Message(
        "23657891340", CONVERSATION, Role.AGENT, CAMILLE, utc(1717000400), text, raw=part(body)
    )
    return event(
        body, EventKind.MESSAGE, messages=(message,), actor_id=CAMILLE, tags=("sys_escalation",)
    )


def operator_replied(body: dict[str, Any]) -> Event:
    text = (
        "Je suis désolé pour ce retard. Votre colis AC-88412 est bloqué au centre de tri.\n\n"
        "Je ne peux pas modifier la livraison moi-même, mais je peux vous mettre en relation "
        "avec l'équipe logistique."
    )
    message = Message(
        "23657891201", CONVERSATION, Role.BOT, FIN, utc(1717000011), text, raw=part(body)
    )
    return event(body, EventKind.MESSAGE, messages=(message,), actor_id=FIN)


def handoff_note(body: dict[str, Any]) -> Event:
    text = (
        "Escalated by Handoff — user asked for a human.\n\n"
        "- Order: AC-88412\n- Issue: parcel stuck at sorting centre"
    )
    note = Message(
        "23657891290", CONVERSATION, Role.SYSTEM, HANDOFF_ADMIN, utc(1717000065), text, False,
        raw=part(body),
    )  # fmt: skip
    return event(
        body, EventKind.NOTE, messages=(note,), actor_id=HANDOFF_ADMIN, from_self=True,
        tags=("sys_escalation",),
    )  # fmt: skip


def handoff_assigned(body: dict[str, Any]) -> Event:
    return event(
        body, EventKind.ASSIGNED, team_id="7210554", actor_id=HANDOFF_ADMIN, from_self=True,
        tags=("sys_escalation",),
    )  # fmt: skip


def closed(body: dict[str, Any]) -> Event:
    return event(
        body, EventKind.CLOSED, status="closed", actor_id=CAMILLE, tags=("sys_escalation",)
    )


EXPECTED: dict[str, Callable[[dict[str, Any]], Event]] = {
    "conversation.user.created": user_created,
    "conversation.user.replied": user_replied,
    "conversation.user.replied--two_parts": lead_replied_twice,
    "conversation.admin.replied": admin_replied,
    "conversation.operator.replied": operator_replied,
    "conversation.admin.noted": handoff_note,
    "conversation.admin.assigned": handoff_assigned,
    "conversation.admin.closed": closed,
}
UNSUPPORTED = {"ping"}


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(EXPECTED.keys() | UNSUPPORTED) == fixture_names("intercom")


def test_every_handled_topic_has_a_fixture() -> None:
    recorded = {event_type(fixture("intercom", name)) for name in fixture_names("intercom")}
    assert recorded >= HANDLED_EVENTS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_normalizes_to_exactly_the_expected_event(name: str) -> None:
    assert run(name) == EXPECTED[name](fixture("intercom", name))


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_handshake_fixture_is_unsupported_but_has_a_delivery_id(name: str) -> None:
    with pytest.raises(UnsupportedEvent):
        run(name)
    assert delivery_id({}, fixture("intercom", name)).startswith("notif_")


def test_closed_topic_closes_the_conversation() -> None:
    assert run("conversation.admin.closed").closes
    assert not run("conversation.admin.replied").closes


def test_configured_bot_admin_and_ai_flag_make_an_admin_reply_a_bot_message() -> None:
    as_bot = run("conversation.admin.replied", Identities(bot_ids=frozenset({CAMILLE})))
    assert as_bot.message is not None and as_bot.message.role is Role.BOT
    body = fixture("intercom", "conversation.admin.replied")
    part(body)["author"]["from_ai_agent"] = True
    flagged = normalize(body, Context("acme", "x", IDS)).message
    assert flagged is not None and flagged.role is Role.BOT


@pytest.mark.parametrize(
    ("author_type", "expected"),
    [("user", Role.USER), ("lead", Role.USER), ("contact", Role.USER), ("bot", Role.BOT),
     ("admin", Role.BOT), ("team", Role.SYSTEM), ("alien", Role.SYSTEM)],
)  # fmt: skip
def test_operator_topic_author_types(author_type: str, expected: Role) -> None:
    body = fixture("intercom", "conversation.operator.replied")
    author = part(body)["author"]
    author.update(type=author_type, from_ai_agent=False)
    message = normalize(body, Context("acme", "x", IDS)).message
    assert message is not None and message.role is expected


@pytest.mark.parametrize(
    ("name", "mutate", "error_path"),
    [
        ("conversation.user.replied", lambda b: part(b).pop("author"),
         "data.item.conversation_parts.conversation_parts[0].author"),
        ("conversation.user.replied", lambda b: part(b).update(created_at="yesterday"),
         "data.item.conversation_parts.conversation_parts[0].created_at"),
        ("conversation.user.replied", lambda b: part(b).update(part_type="note"),
         "data.item.conversation_parts.conversation_parts"),
        ("conversation.user.created", lambda b: b["data"]["item"].pop("source"),
         "data.item.source"),
        ("conversation.admin.noted", lambda b: b["data"].update(item=[]), "data.item"),
        ("conversation.admin.assigned", lambda b: b["data"]["item"].update(team_assignee_id=True),
         "data.item.team_assignee_id"),
        ("conversation.admin.closed", lambda b: b["data"]["item"]["tags"]["tags"].append(7),
         "data.item.tags.tags[1]"),
        ("conversation.admin.closed", lambda b: b.pop("topic"), "topic"),
    ],
)  # fmt: skip
def test_malformed_payload_names_the_json_path(
    name: str, mutate: Callable[[dict[str, Any]], Any], error_path: str
) -> None:
    body = fixture("intercom", name)
    mutate(body)
    with pytest.raises(PayloadInvalid) as error:
        normalize(body, Context("acme", "x", IDS))
    assert error.value.path == error_path
