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
from connectors.slack.normalize import (
    HANDLED_EVENTS,
    delivery_id,
    event_type,
    normalize,
    parse_ts,
    slack_to_text,
)
from tests.connectors.connector_fixtures import fixture, fixture_names

CUSTOMER, TEAMMATE = "U05LB4ZQH7P", "U02KJ7S9T3M"
BOT_USER, BOT_ID = "U06R2HQ9XYZ", "B06R2HQ8LKP"
SELF_USER, SELF_BOT = "U07H4NDF0FF", "B07H4ND0FF2"
IDS = Identities(
    bot_ids=frozenset({BOT_ID}),
    self_ids=frozenset({SELF_BOT}),
    teammate_ids=frozenset({TEAMMATE}),
)
THREAD = ConversationKey(Platform.SLACK, "acme", "C07QX4M2B1N:1717000000.123400")


def run(name: str, ids: Identities = IDS) -> Event:
    body = fixture("slack", name)
    return normalize(body, Context("acme", delivery_id({}, body), ids))


def ts(value: str) -> datetime:
    seconds, micros = value.split(".")
    return datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=int(micros))


def event(body: dict[str, Any], key: ConversationKey, kind: EventKind, **fields: Any) -> Event:
    """The expected event; envelope fields come from the body."""
    name = event_type(body)
    when = datetime.fromtimestamp(body["event_time"], UTC)
    return Event(
        kind, name, body["event_id"], key, when, account_id="T0AB1CD2E", raw=body, **fields
    )


def posted(body: dict[str, Any], key: ConversationKey, role: Role, author: str, text: str,
           *attachments: Attachment) -> Event:  # fmt: skip
    inner = body["event"]
    message = Message(
        inner["ts"], key, role, author, ts(inner["ts"]), text, True, attachments, inner
    )
    return event(
        body, key, EventKind.MESSAGE, messages=(message,), actor_id=author,
        from_self=author in (SELF_USER, SELF_BOT),
    )  # fmt: skip


def top_level_in_channel(body: dict[str, Any]) -> Event:
    text = f"@{BOT_USER} 請求書の金額が間違っています & 二重請求です。担当者と話せますか？"
    return posted(body, THREAD, Role.USER, CUSTOMER, text)


def bot_thread_reply(body: dict[str, Any]) -> Event:
    text = (
        "I can't change invoices myself > I've notified the billing team. "
        "See the status page (https://status.example.com/billing) or ask #billing."
    )
    return posted(body, THREAD, Role.BOT, BOT_USER, text)


def teammate_reply(body: dict[str, Any]) -> Event:
    text = "Hi @kenji, I'm on it — refund issued, cc @billing-team"
    return posted(body, THREAD, Role.AGENT, TEAMMATE, text)


def handoff_note(body: dict[str, Any]) -> Event:
    text = ":rotating_light: Escalated to @billing-team: customer reports a double charge."
    return posted(body, THREAD, Role.SYSTEM, SELF_USER, text)


def ignored_in_thread(body: dict[str, Any]) -> Event:
    return event(body, THREAD, EventKind.IGNORED)


def channel_join(body: dict[str, Any]) -> Event:
    key = ConversationKey(Platform.SLACK, "acme", "C07QX4M2B1N:1717000040.000500")
    return event(body, key, EventKind.IGNORED)


def private_channel_file(body: dict[str, Any]) -> Event:
    key = ConversationKey(Platform.SLACK, "acme", "C07PRIV4T3G:1717100000.000600")
    screenshot = Attachment(
        "Screenshot 2024-05-30 at 10.13.07.png",
        "https://files.slack.com/files-pri/T0AB1CD2E-F07QXC5D6E7/screenshot.png",
        "image/png",
    )
    text = "Here is the screenshot of the error"
    return posted(body, key, Role.USER, CUSTOMER, text, screenshot)


def direct_message(body: dict[str, Any]) -> Event:
    key = ConversationKey(Platform.SLACK, "acme", "D07DM1A2B3C")
    text = "Hola, no puedo iniciar sesión desde ayer. ¿Me pueden ayudar?"
    return posted(body, key, Role.USER, CUSTOMER, text)


def group_dm_thread(body: dict[str, Any]) -> Event:
    key = ConversationKey(Platform.SLACK, "acme", "G07MPIM9Z8Y:1717300000.000800")
    text = "Taking this one — <order #88412> is with the courier."
    return posted(body, key, Role.AGENT, TEAMMATE, text)


EXPECTED: dict[str, Callable[[dict[str, Any]], Event]] = {
    "message.channels": top_level_in_channel,
    "message.channels--bot_thread_reply": bot_thread_reply,
    "message.channels--teammate_reply": teammate_reply,
    "message.channels--handoff_note": handoff_note,
    "message.channels--message_changed": ignored_in_thread,
    "message.channels--message_deleted": ignored_in_thread,
    "message.channels--channel_join": channel_join,
    "message.groups": private_channel_file,
    "message.im": direct_message,
    "message.mpim": group_dm_thread,
}
UNSUPPORTED = {"url_verification"}


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(EXPECTED.keys() | UNSUPPORTED) == fixture_names("slack")


def test_every_handled_subscription_has_a_fixture() -> None:
    recorded = {event_type(fixture("slack", name)) for name in fixture_names("slack")}
    assert recorded >= HANDLED_EVENTS
    assert {"message.channels", "message.groups", "message.im", "message.mpim"} == HANDLED_EVENTS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_normalizes_to_exactly_the_expected_event(name: str) -> None:
    assert run(name) == EXPECTED[name](fixture("slack", name))


def test_url_verification_is_a_handshake_not_an_event() -> None:
    body = fixture("slack", "url_verification")
    assert event_type(body) == "url_verification"
    with pytest.raises(UnsupportedEvent):
        normalize(body, Context("acme", "x", IDS))
    with pytest.raises(PayloadInvalid, match="event_id"):
        delivery_id({}, body)


def test_other_apps_bots_are_system_and_our_bot_user_id_also_counts() -> None:
    stranger = run("message.channels--bot_thread_reply", Identities())
    assert stranger.message is not None and stranger.message.role is Role.SYSTEM
    by_user = run("message.channels--bot_thread_reply", Identities(bot_ids=frozenset({BOT_USER})))
    assert by_user.message is not None and by_user.message.role is Role.BOT


def test_channel_type_is_inferred_from_the_channel_id_when_absent() -> None:
    body = fixture("slack", "message.im")
    del body["event"]["channel_type"]
    assert event_type(body) == "message.im"
    body["event"]["channel"] = "C07QX4M2B1N"
    assert event_type(body) == "message.channels"


def test_other_inner_events_are_unsupported() -> None:
    body = fixture("slack", "message.channels")
    body["event"]["type"] = "app_mention"
    assert event_type(body) == "app_mention"
    with pytest.raises(UnsupportedEvent, match="app_mention"):
        normalize(body, Context("acme", "x", IDS))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1717000000.123400", datetime(2024, 5, 29, 16, 26, 40, 123400, tzinfo=UTC)),
        ("1717000000.1", datetime(2024, 5, 29, 16, 26, 40, 100000, tzinfo=UTC)),
        ("1717000000", datetime(2024, 5, 29, 16, 26, 40, tzinfo=UTC)),
    ],
)
def test_parse_ts_is_exact_to_the_microsecond(value: str, expected: datetime) -> None:
    assert parse_ts(value, "event.ts") == expected


@pytest.mark.parametrize("value", ["", "1717000000.1234567", "17e8", "-1717000000"])
def test_parse_ts_rejects_other_shapes(value: str) -> None:
    with pytest.raises(PayloadInvalid, match=r"^event\.ts: "):
        parse_ts(value, "event.ts")


def test_slack_markup_becomes_readable_text() -> None:
    text = (
        "<!here> <@U1> <@U2|ana> <#C1|billing> <!subteam^S1|@tier-2> "
        "<https://x.example/a|docs> <https://y.example> <mailto:a@b.example|a@b.example> "
        "1 &lt; 2 &amp;&amp; 3 &gt; 2"
    )
    assert slack_to_text(text) == (
        "@here @U1 @ana #billing @tier-2 docs (https://x.example/a) https://y.example "
        "a@b.example 1 < 2 && 3 > 2"
    )


@pytest.mark.parametrize(
    ("mutate", "error_path"),
    [
        (lambda e: e.pop("ts"), "event.ts"),
        (lambda e: e.update(ts="yesterday"), "event.ts"),
        (lambda e: e.pop("channel"), "event.channel"),
        (lambda e: e.update(user=42), "event.user"),
        (lambda e: e.update(files=[{"name": None}]), "event.files[0].id"),
        (lambda e: e.update(channel_type="huddle"), "event.channel_type"),
        (lambda e: e.update(subtype=["bot_message"]), "event.subtype"),
    ],
)
def test_malformed_payload_names_the_json_path(
    mutate: Callable[[dict[str, Any]], Any], error_path: str
) -> None:
    body = fixture("slack", "message.channels")
    mutate(body["event"])
    with pytest.raises(PayloadInvalid) as error:
        normalize(body, Context("acme", "x", IDS))
    assert error.value.path == error_path
