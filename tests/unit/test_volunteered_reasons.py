"""A reason-like `text` detail counts once the user states a problem with the item, unasked.

A clause that describes a problem, or a property that makes the item unsuitable, is the
reason wherever it stands: after the request in the same message ("I want to return my
boots, they are too small"), before it, or in a later user message. The request itself, a
question, a greeting, small talk, another detail, a denied problem ("they aren't damaged")
and a negation about the user rather than the item ("I don't have the receipt") are not.
"""

from __future__ import annotations

import pytest

from escalation.case import Message, Role
from escalation.decision import Status
from escalation.details import collect_details
from escalation.policy_model import CollectItem, DetailKind, HandoffMode, SubAgent
from escalation.rules import RulesDetector
from tests.conftest import decide

ORDER = CollectItem(
    name="order_number",
    kind=DetailKind.ORDER_NUMBER,
    pattern=r"\b(?:AC-?)?\d{6}\b",
    ask="What is your order number?",
)
EMAIL = CollectItem(
    name="email", kind=DetailKind.EMAIL, ask="Which email address did you use for the order?"
)
REASON = CollectItem(
    name="return_reason", kind=DetailKind.TEXT, ask="Why would you like to return it?"
)
RETURNS = SubAgent(topics=(), collect=(ORDER, EMAIL, REASON), handoff=HandoffMode.COLLECTED)


def reason(*turns: tuple[str, str]) -> str | None:
    messages = [Message(Role(role), text) for role, text in turns]
    return collect_details(RETURNS, messages).collected.get("return_reason")


VOLUNTEERED = [
    # en: an adjective after "too", a negated verb, a defect, a wrong property, a phrase
    ("I want to return my boots, they are too small", "they are too small"),
    ("I'd like to return the shoes, they don't fit", "they don't fit"),
    ("I want to return the jacket, it arrived damaged", "it arrived damaged"),
    (
        "I want to return the dress, the colour is not what I ordered",
        "the colour is not what I ordered",
    ),
    ("I'd like to return these trainers, wrong size", "wrong size"),
    ("I want to return the kettle, it's broken", "it's broken"),
    ("I want to send these back. They hurt.", "They hurt"),
    ("These boots are too small, I want to return them", "These boots are too small"),
    ("Wrong size. I want to send them back.", "Wrong size"),
    ("I'd like a refund, the zip came off after a week", "the zip came off after a week"),
    ("I'd like to return these, I changed my mind", "I changed my mind"),
    ("I want to return them, they're not big enough", "they're not big enough"),
    ("I want to return them, they never arrived", "they never arrived"),
    # es
    ("Quiero devolver mis botas, me quedan pequeñas", "me quedan pequeñas"),
    ("Quiero devolver las zapatillas, no me quedan bien", "no me quedan bien"),
    ("Quiero devolver la chaqueta, llegó rota", "llegó rota"),
    ("Quiero devolverlas, son demasiado grandes", "son demasiado grandes"),
    # fr
    ("Je voudrais retourner ces bottes, elles sont trop petites", "elles sont trop petites"),
    ("Je veux renvoyer les chaussures, elles ne me vont pas", "elles ne me vont pas"),
    ("Je voudrais retourner la veste, elle est arrivée abîmée", "elle est arrivée abîmée"),
    # de
    ("Ich möchte die Stiefel zurückgeben, sie sind zu klein", "sie sind zu klein"),
    ("Ich möchte die Schuhe zurückschicken, sie passen nicht", "sie passen nicht"),
    ("Ich will die Schuhe zurückschicken, die sind zu groß", "die sind zu groß"),
    ("Ich möchte das Kleid zurückgeben, die Farbe ist falsch", "die Farbe ist falsch"),
    # pt, it, nl
    ("Quero devolver as botas, ficaram pequenas", "ficaram pequenas"),
    ("Quero devolver os sapatos, não servem", "não servem"),
    ("Vorrei restituire gli stivali, sono troppo piccoli", "sono troppo piccoli"),
    ("Vorrei restituire la borsa, è arrivata danneggiata", "è arrivata danneggiata"),
    ("Ik wil de laarzen terugsturen, ze zijn te klein", "ze zijn te klein"),
    ("Ik wil de schoenen retourneren, ze passen niet", "ze passen niet"),
]


@pytest.mark.parametrize(("text", "expected"), VOLUNTEERED)
def test_a_clause_stating_a_problem_is_the_reason(text: str, expected: str) -> None:
    assert reason(("user", text)) == expected


NO_REASON = [
    # bare requests and greetings
    "I want to return my boots",
    "Hi, I want to return my boots",
    "Hello, I'd like to return my boots, please",
    "I'd like to exchange my boots for a bigger size.",
    "Quiero devolver mis botas",
    "Hola, quiero devolver mis botas, gracias",
    "Bonjour, je voudrais retourner mes bottes, merci",
    "Hallo, ich möchte meine Stiefel zurückgeben, danke",
    "Vorrei restituire gli stivali",
    "Ik wil de laarzen terugsturen",
    # questions
    "Can I return them?",
    "I want to return my boots, can I?",
    "I want to return my boots, how long does it take?",
    "Can I return them if they are too small?",
    "¿Puedo devolverlas si me quedan pequeñas?",
    "Est-ce que je peux les retourner ?",
    "Kann ich sie zurückgeben, wenn sie zu klein sind?",
    # other details
    "I want to return my boots, order AC-123456",
    "I want to return my boots, my email is a@b.example",
    "The email is wrong, use jo@b.example",
    "Ich möchte die Stiefel zurückgeben, Bestellnummer AC-123456",
    # negations about the user, not the item
    "I'd like to return my boots, I'm not sure of the order number",
    "I want to return my boots, I don't have the receipt",
    "I want to return them, no rush",
    "Quiero devolverlas, no sé el número de pedido",
    "Quiero devolverlas, no tengo el recibo",
    "Je voudrais les retourner, je n'ai pas le numéro",
    "Ich möchte sie zurückgeben, ich habe keine Bestellnummer",
    "Ich möchte sie zurückgeben, ich weiß nicht wie",
    "Ik wil ze terugsturen, ik weet niet hoe",
    # a denied problem, and "zu"/"te" before an infinitive
    "I want to return them, they aren't damaged",
    "Ich möchte sie zurückgeben, sie sind nicht kaputt",
    "Je voudrais les retourner, elles ne sont pas trop petites",
    "Ich möchte die Schuhe zurückschicken, um sie umzutauschen",
    "Ik wil ze terugsturen, om ze te ruilen",
]


@pytest.mark.parametrize("text", NO_REASON)
def test_requests_questions_details_and_other_negations_are_no_reason(text: str) -> None:
    assert reason(("user", text)) is None


def test_a_later_message_can_volunteer_the_reason() -> None:
    assert (
        reason(
            ("user", "I want to return my boots."),
            ("bot", "Sure, what is your order number?"),
            ("user", "AC-123456. They are too small."),
        )
        == "They are too small"
    )
    assert (
        reason(
            ("user", "Quiero devolver mis botas."),
            ("bot", "¿Cuál es tu número de pedido?"),
            ("user", "AC-123456, me quedan grandes"),
        )
        == "me quedan grandes"
    )


def test_answers_to_other_questions_are_no_reason() -> None:
    assert (
        reason(
            ("user", "I want to return my boots."),
            ("bot", "What is your order number?"),
            ("user", "I don't know, I can't find it"),
            ("bot", "Which email address did you use for the order?"),
            ("user", "That's not right, it's jo@b.example"),
        )
        is None
    )


def test_a_volunteered_reason_keeps_the_first_and_an_answer_replaces_it() -> None:
    kept = reason(
        ("user", "I want to return my boots, they are too small."),
        ("bot", "What is your order number?"),
        ("user", "AC-123456, the label link is broken"),
    )
    assert kept == "they are too small"
    answered = reason(
        ("user", "I want to return my boots, they are too small."),
        ("bot", "Why would you like to return them?"),
        ("user", "Actually they pinch at the heel."),
    )
    assert answered == "Actually they pinch at the heel."


@pytest.mark.parametrize(
    "text",
    [
        "I want to return my boots, they are too small",
        "I'd like to return the shoes, they don't fit",
        "Quiero devolver mis botas, me quedan pequeñas",
        "Je voudrais retourner ces bottes, elles sont trop petites",
        "Ich möchte die Stiefel zurückgeben, sie sind zu klein",
    ],
)
def test_the_example_workspace_collects_the_reason_with_the_request(
    detector: RulesDetector, text: str
) -> None:
    decision = decide(detector, ("user", text))
    assert decision.status is Status.PENDING and decision.sub_agent == "returns"
    assert decision.missing == ("order_number", "email"), decision.reason
    assert "return_reason" in decision.collected


def test_the_example_workspace_still_asks_why_after_a_bare_request(
    detector: RulesDetector,
) -> None:
    decision = decide(detector, ("user", "I want to return my boots"))
    assert decision.missing == ("order_number", "email", "return_reason")
