"""The same detector on another business (a note-taking SaaS) and in several languages.

Nothing in the detector knows this workspace: it checks that the rules are general.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from escalation.decision import Signal, Status
from escalation.policy import load_policy
from escalation.rules import RulesDetector
from tests.conftest import decide

WORKSPACE = Path(__file__).resolve().parent.parent / "fixtures" / "workspaces" / "cloudnote.yaml"
U, B = "user", "bot"

CASES = [
    (
        [
            (U, "My notes aren't syncing to my iPad since yesterday"),
            (B, "Try signing out and in."),
            (U, "Did that twice. I need a real human now."),
        ],
        Status.ESCALATE,
        Signal.USER_REQUEST,
    ),
    ([(U, "Can you write me a poem about cats?")], Status.ESCALATE, Signal.OUT_OF_SCOPE),
    (
        [
            (U, "hello"),
            (B, "Hi! What can I do for you?"),
            (U, "what's the weather in Paris tomorrow?"),
        ],
        Status.ESCALATE,
        Signal.OUT_OF_SCOPE,
    ),
    (
        [(U, "I think someone hacked my account, there are notes I didn't write")],
        Status.ESCALATE,
        Signal.RULE,
    ),
    (
        [
            (U, "I was charged twice this month"),
            (B, "Sorry! What email is your account under?"),
            (U, "sam@corp.io"),
            (B, "I can't issue refunds myself, so I've passed this to our billing team."),
        ],
        Status.PENDING,
        Signal.BOT_HANDOFF,
    ),
    (
        [
            (U, "Refund for INV-20931 please, I'm sam@corp.io"),
            (B, "I can't issue refunds myself, so I've passed this to our billing team."),
        ],
        Status.ESCALATE,
        Signal.BOT_HANDOFF,
    ),
    (
        [
            (U, "How do I share a notebook with my team?"),
            (B, "Click Share and enter their emails."),
            (U, "perfect thanks"),
        ],
        Status.NONE,
        None,
    ),
    (
        [
            (U, "Export to markdown keeps failing"),
            (B, "I'm not sure why. I'll check with our engineers and get back to you by email."),
        ],
        Status.ESCALATE,
        Signal.BOT_HANDOFF,
    ),
    (
        [
            (U, "Export to markdown keeps failing"),
            (B, "That may need a closer look. Meanwhile, export one notebook at a time."),
        ],
        Status.NONE,
        None,
    ),
    ([(U, "Is there a dark mode?"), (B, "Yes! Settings > Appearance > Dark.")], Status.NONE, None),
    (
        [
            (U, "Can I get a refund for the annual plan? INV-20931"),
            (B, "Sure, what email is your account under?"),
        ],
        Status.NONE,
        None,
    ),
    (
        [(U, "Please escalate this to your manager, sync has been broken for a week!!")],
        Status.ESCALATE,
        Signal.USER_REQUEST,
    ),
    (
        [
            (U, "Hola, mis notas no se sincronizan"),
            (B, "Lo siento. ¿Has probado a cerrar sesión?"),
            (U, "Sí, y nada. Quiero hablar con una persona, por favor."),
        ],
        Status.ESCALATE,
        Signal.USER_REQUEST,
    ),
    (
        [
            (U, "Ich kann mich nicht einloggen."),
            (
                B,
                "Ich habe Ihr Anliegen an unser Support-Team weitergeleitet. "
                "Sie melden sich per E-Mail.",
            ),
        ],
        Status.ESCALATE,
        Signal.BOT_HANDOFF,
    ),
    (
        [(U, "Je n'arrive pas à me connecter, je veux parler à un conseiller")],
        Status.ESCALATE,
        Signal.USER_REQUEST,
    ),
    ([(U, "Non ho bisogno di un operatore, dimmi solo come esportare le note")], Status.NONE, None),
    (
        [(U, "Ik wil graag met een medewerker spreken over mijn abonnement")],
        Status.PENDING,
        Signal.USER_REQUEST,
    ),
]


@pytest.fixture(scope="module")
def cloudnote() -> RulesDetector:
    return RulesDetector(load_policy(WORKSPACE))


@pytest.mark.parametrize(
    ("turns", "status", "signal"), CASES, ids=[f"g{i}" for i in range(len(CASES))]
)
def test_another_business(
    cloudnote: RulesDetector, turns: list[tuple[str, str]], status: Status, signal: Signal | None
) -> None:
    decision = decide(cloudnote, *turns)
    assert (decision.status, decision.signal) == (status, signal), decision.reason
