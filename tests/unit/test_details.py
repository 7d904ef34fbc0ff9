"""Required details: each kind, corrections, answers by meaning and volunteered reasons."""

from __future__ import annotations

import pytest

from escalation.case import Message, Role
from escalation.details import collect_details, details_asked
from escalation.policy_model import CollectItem, DetailKind, HandoffMode, SubAgent


def item(name: str, kind: str, pattern: str | None = None, ask: str | None = None) -> CollectItem:
    return CollectItem(name=name, kind=DetailKind(kind), pattern=pattern, ask=ask)


def agent(*items: CollectItem) -> SubAgent:
    return SubAgent(topics=(), collect=items, handoff=HandoffMode.COLLECTED)


def talk(*turns: tuple[str, str]) -> list[Message]:
    return [Message(Role(role), text) for role, text in turns]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my order is AC-4471-99", "AC-4471-99"),
        ("order 20491 please", "20491"),
        ("it's #A1B2C3D4", "A1B2C3D4"),
        ("I ordered 3 pairs", None),
        ("mail me at jo.4521@example.com", None),
    ],
)
def test_order_number_without_pattern_needs_four_digits(text: str, expected: str | None) -> None:
    state = collect_details(agent(item("order", "order_number")), talk(("user", text)))
    assert state.collected.get("order") == expected


def test_a_pattern_counts_only_when_it_matches_as_written() -> None:
    wanted = agent(item("order", "order_number", pattern=r"\b(?:AC-?)?\d{6}\b"))
    assert collect_details(wanted, talk(("user", "AC-12345"))).missing == ("order",)
    assert collect_details(wanted, talk(("user", "AC1234567"))).missing == ("order",)
    assert collect_details(wanted, talk(("user", "ac-123456"))).collected == {"order": "123456"}
    assert collect_details(wanted, talk(("user", "AC-123456"))).collected == {"order": "AC-123456"}


def test_email_and_phone_kinds() -> None:
    wanted = agent(item("email", "email"), item("phone", "phone"))
    state = collect_details(
        wanted, talk(("user", "Reach me at ana.silva+shop@mail.example.pt or +351 (21) 555-0199"))
    )
    assert state.collected == {
        "email": "ana.silva+shop@mail.example.pt",
        "phone": "+351 (21) 555-0199",
    }
    short = collect_details(wanted, talk(("user", "call 555-01")))
    assert "phone" in short.missing


def test_the_latest_value_wins_when_the_user_corrects_it() -> None:
    wanted = agent(item("email", "email"))
    state = collect_details(
        wanted, talk(("user", "it's jo@old.example"), ("user", "sorry, jo@new.example is right"))
    )
    assert state.collected == {"email": "jo@new.example"}


def test_details_come_from_user_messages_only() -> None:
    wanted = agent(item("email", "email"))
    state = collect_details(wanted, talk(("bot", "Is jo@example.com your address?")))
    assert state.missing == ("email",)


def test_a_text_detail_counts_when_it_answers_a_question_asking_for_it_by_meaning() -> None:
    wanted = agent(item("full_name", "text", ask="Could I get your full name, please?"))
    answered = collect_details(
        wanted, talk(("bot", "May I have your name, please?"), ("user", "Angela Smith"))
    )
    assert answered.collected == {"full_name": "Angela Smith"} and answered.asked
    unasked = collect_details(wanted, talk(("bot", "How can I help?"), ("user", "Angela Smith")))
    assert unasked.missing == ("full_name",) and not unasked.asked
    dodged = collect_details(wanted, talk(("bot", "Your full name please?"), ("user", "why?")))
    assert dodged.missing == ("full_name",)


def test_only_the_detail_a_question_is_about_is_marked_asked() -> None:
    items = (
        item("order_number", "order_number", ask="What is your order number?"),
        item("email", "email", ask="Which email address did you use for the order?"),
        item("return_reason", "text", ask="Why would you like to return it?"),
    )
    assert details_asked("Which email address did you use for the order?", items) >= {"email"}
    assert "return_reason" not in details_asked("What is your order number?", items)
    assert details_asked("Why are you sending them back?", items) == {"return_reason"}
    assert details_asked("Your parcel left the warehouse.", items) == set()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I want to return my sandals because the strap broke.", "the strap broke"),
        (
            "I want to return the sandals, they hurt my feet. My email is a@b.example",
            "they hurt my feet",
        ),
        (
            "Hi, I'd like to return order AC-605118. The heel came loose after two days.",
            "The heel came loose after two days",
        ),
        ("I want to return my running shoes.", None),
        ("I'd like to return the boots I bought last week.", None),
        ("Hi, I'd like to exchange my boots for a bigger size.", None),
        ("AC-318274. Can I just talk to a person?", None),
    ],
)
def test_a_reason_can_be_volunteered(text: str, reason: str | None) -> None:
    wanted = agent(item("return_reason", "text", ask="Why would you like to return it?"))
    state = collect_details(wanted, talk(("user", text)))
    assert state.collected.get("return_reason") == reason


def test_missing_follows_the_configured_order() -> None:
    wanted = agent(item("b", "email"), item("a", "phone"), item("c", "order_number"))
    assert collect_details(wanted, talk(("user", "hello"))).missing == ("b", "a", "c")


def test_a_date_is_not_an_order_number() -> None:
    state = collect_details(
        agent(item("member", "order_number")), talk(("user", "My trip on 2024-05-01, member 88231"))
    )
    assert state.collected == {"member": "88231"}


@pytest.mark.parametrize(
    "text",
    [
        "XK4P9Q, tag LH123456, ana@example.org, I'm at the airport right now",
        "I want to return these, quick question first",
        "I'd like to return my boots, I just want to know the deadline",
    ],
)
def test_a_clause_that_is_no_complaint_is_no_reason(text: str) -> None:
    wanted = agent(item("return_reason", "text", ask="Why would you like to return it?"))
    assert collect_details(wanted, talk(("user", text))).missing == ("return_reason",)


def test_only_reason_like_details_are_volunteered() -> None:
    wanted = agent(item("damage_description", "text", ask="Please describe the damage."))
    state = collect_details(wanted, talk(("user", "My bag is missing, it's not on the belt")))
    assert state.missing == ("damage_description",)
