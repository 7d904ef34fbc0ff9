"""English phrase families end to end: each signal family, and the negatives that must not fire.

Conversations are about sizing or accounts (no sub agent with required details), so a
confirmed signal gives `escalate` and anything else `none`.
"""

from __future__ import annotations

import pytest

from escalation.decision import Signal, Status
from escalation.rules import RulesDetector
from tests.conftest import decide

SIZING = ("user", "Do the Trail Runner 2 run small? What size should I get?")

USER_REQUESTS = [
    "Can I talk to a human please?",
    "I'd rather speak to a real person about this.",
    "Please connect me to a live agent.",
    "Let me speak to a manager.",
    "I want to talk to your supervisor",
    "get me a representative",
    "Is there someone real I can talk to?",
    "human please",
    "AGENT!!!",
    "how do I speak to an agent?",
    "I need to contact a human agent",
    "I am trying to chat with a damn agent",
    "can I talk to somneone?",
    "stop, I want to talk to a person",
    "no more bots, I want a human",
    "Can a human look at this?",
    "transfer me to customer service",
]


@pytest.mark.parametrize("text", USER_REQUESTS)
def test_user_requests_for_a_human_escalate(detector: RulesDetector, text: str) -> None:
    decision = decide(detector, SIZING, ("bot", "They run true to size."), ("user", text))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.USER_REQUEST)
    assert decision.evidence and decision.evidence in text


NOT_REQUESTS = [
    "I don't need a human, just tell me the size.",
    "No need to transfer me to anyone.",
    "If you can't help, I might ask for a person later.",
    "do I need to call someone to change the size?",
    "Are your agents available 9-5?",
    "what are your opening hours for phone support?",
    "Your agent told me last week it runs small.",
    "Would a person with wide feet be OK in these?",
    "I don't want to talk to anyone, just answer.",
    "Last time your team escalated my issue and it got solved fast.",
]


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_negations_hypotheticals_and_mentions_are_not_requests(
    detector: RulesDetector, text: str
) -> None:
    decision = decide(detector, ("user", text), ("bot", "Most people take their usual size."))
    assert decision.signal is not Signal.USER_REQUEST
    assert decision.status is Status.NONE


def test_accepting_an_offer_is_a_request_and_declining_is_not(detector: RulesDetector) -> None:
    offer = ("bot", "Would you like me to connect you with a team member?")
    accepted = decide(
        detector, ("user", "My login email is wrong."), offer, ("user", "Yes please.")
    )
    assert (accepted.status, accepted.signal) == (Status.ESCALATE, Signal.USER_REQUEST)
    declined = decide(detector, ("user", "My login email is wrong."), offer, ("user", "No thanks."))
    assert declined.status is Status.NONE


def test_a_request_holds_until_withdrawn(detector: RulesDetector) -> None:
    asked = ("user", "Can I speak to an agent?")
    reply = ("bot", "Of course. What would you like help with?")
    held = decide(detector, asked, reply, ("user", "My password reset link expired."))
    assert held.signal is Signal.USER_REQUEST
    withdrawn = decide(detector, asked, reply, ("user", "Never mind, I found it in the FAQ."))
    assert withdrawn.status is Status.NONE
    same_message = decide(
        detector, ("user", "I want a human... oh wait, ignore that, it works now.")
    )
    assert same_message.status is Status.NONE


BOT_HANDOFFS = [
    "I've escalated your case to our support team.",
    "I'm transferring you to one of my colleagues now.",
    "I've handed your request over to our team.",
    "I've forwarded this to our accounts department.",
    "I've notified our account team so they can fix it.",
    "I'll check with the team whether that's possible and get back to you later today.",
    "I need to confirm that with our product team. We'll let you know tomorrow.",
    "I've asked our team to investigate this.",
    "A member of our team will follow up with you tomorrow.",
    "Someone from our team will contact you shortly.",
    "I'm sorry, I don't understand what you need well enough to help with it.",
    "I don't have access to account security settings, so I can't unlock it.",
    "My tools don't let me see refunds.",
    "I'm not able to merge accounts; that's beyond what I can do in this chat.",
    "I don't have any information about that, sorry.",
    "Your request has been escalated.",
]


@pytest.mark.parametrize("text", BOT_HANDOFFS)
def test_bot_handoff_statements_escalate(detector: RulesDetector, text: str) -> None:
    decision = decide(detector, ("user", "I can't log in to my account."), ("bot", text))
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.BOT_HANDOFF)


NOT_HANDOFFS = [
    "Good news: it was already fixed, so there's no need to escalate anything.",
    "Let me check that for you. Your account is active again.",
    "This may need review. For now, clear your cookies.",
    "If it keeps happening, it might require escalation. Please clear your cookies.",
    "This seems complex. Let's start with the account you want to keep.",
    "If that fails I can transfer you to a colleague.",
    "Would you like me to connect you with a team member?",
    "I can't change that from here, but you can do it in the app under Settings.",
    "I've sent you a password reset link.",
    "I'll email you the invoice right away.",
    "Sorry, I didn't understand. Could you rephrase that?",
    "The money was transferred yesterday.",
]


@pytest.mark.parametrize("text", NOT_HANDOFFS)
def test_offers_vague_and_met_needs_are_not_handoffs(detector: RulesDetector, text: str) -> None:
    decision = decide(detector, ("user", "I can't log in to my account."), ("bot", text))
    assert decision.status is Status.NONE, decision.reason


def test_a_bot_lack_holds_when_the_talk_moves_on(detector: RulesDetector) -> None:
    decision = decide(
        detector,
        ("user", "Why is my account locked?"),
        ("bot", "I don't have access to account security settings."),
        ("user", "ok. And what size should I take in the Metro Loafer?"),
        ("bot", "Take your usual size."),
    )
    assert (decision.status, decision.signal) == (Status.ESCALATE, Signal.BOT_HANDOFF)


def test_not_understanding_counts_only_while_it_is_the_bots_latest_word(
    detector: RulesDetector,
) -> None:
    confused = ("bot", "Sorry, I don't understand what you mean.")
    still = decide(detector, ("user", "the thing with the login"), confused)
    assert (still.status, still.signal) == (Status.ESCALATE, Signal.BOT_HANDOFF)
    helped = decide(
        detector,
        ("user", "the thing with the login"),
        confused,
        ("user", "I can't log in to my account"),
        ("bot", "Click 'Forgot password' on the login page."),
    )
    assert helped.status is Status.NONE


def test_no_thanks_to_an_offer_withdraws_a_request(detector: RulesDetector) -> None:
    decision = decide(
        detector,
        ("user", "My login fails, can I talk to a person?"),
        (
            "bot",
            "I can reset it for you now. Would you still like me to connect you with a colleague?",
        ),
        ("user", "No thanks, that's fine."),
    )
    assert decision.status is Status.NONE


def test_a_human_reply_ends_detection_for_the_episode(detector: RulesDetector) -> None:
    decision = decide(
        detector,
        ("user", "I want to speak to a human."),
        ("agent", "Hi, Dana here, how can I help?"),
        ("user", "Can I talk to a person about another order too?"),
    )
    assert decision.status is Status.NONE and decision.signal is None


def test_system_messages_are_ignored_unless_they_state_a_handoff(detector: RulesDetector) -> None:
    ignored = decide(detector, ("system", "Customer opened the chat."), ("user", "Hi"))
    assert ignored.status is Status.NONE
    stated = decide(
        detector, ("user", "My login fails."), ("system", "Conversation transferred to an agent")
    )
    assert (stated.status, stated.signal) == (Status.ESCALATE, Signal.BOT_HANDOFF)
