"""The one-sentence `reason` of every decision, in one place."""

from __future__ import annotations

from collections.abc import Sequence

from escalation.decision import Signal, Status
from escalation.instruction import Narrowing
from escalation.signals import Evidence

WITH_TEAM = "A human teammate has already replied, so the conversation is with the team."
NOTHING = (
    "No confirmed escalation signal: the user did not ask for a human and the bot did not hand off."
)

_BOT_FAMILIES = {
    "bot_escalated": "The bot said it handed the conversation over to the team",
    "bot_later": "The bot said it will check, confirm or follow up later, which needs the team",
    "bot_contact": "The bot said someone will contact the user, or that it will contact someone",
    "bot_lacks": "The bot said it lacks the information, context, access or capability to help",
    "bot_not_understood": "The bot said it does not understand what the user needs",
}


def reason(
    signal: Signal,
    evidence: Evidence,
    status: Status,
    sub_agent: str | None,
    missing: Sequence[str],
) -> str:
    """Why the decision is `escalate` or `pending`, in one sentence."""
    cause = _cause(signal, evidence, sub_agent)
    if status is Status.PENDING:
        return f"{cause}, but the {sub_agent} workflow still needs: {', '.join(missing)}."
    return f"{cause}."


def narrowed(narrowing: Narrowing, topic: str | None) -> str:
    """Why a conversation filtered out by the workspace's instruction is not escalated."""
    if topic in narrowing.excluded:
        return f"The workspace never escalates '{topic}'."
    about = f"is about '{topic}'" if topic else "has no recognised topic"
    return f"Escalation is limited to {', '.join(narrowing.topics)} and this conversation {about}."


def _cause(signal: Signal, evidence: Evidence, sub_agent: str | None) -> str:
    kind, subject = evidence.kind, evidence.subject
    if signal is Signal.USER_REQUEST:
        if kind == "user_accept":
            return "The user accepted the bot's offer of a human"
        return "The user asked for a human"
    if signal is Signal.BOT_HANDOFF:
        if kind == "handoff_message":
            return f"The bot sent the {subject} sub agent's handoff message"
        return _BOT_FAMILIES.get(kind, "The bot said it handed off")
    if signal is Signal.RULE:
        return f"The conversation is about '{subject}', a topic that always goes to a human"
    if signal is Signal.OUT_OF_SCOPE:
        if kind == "out_of_scope_topic":
            return f"The conversation is about '{subject}', which is outside the workspace's scope"
        return f"The request is outside the workspace's scope ({subject})"
    return f"The user asked for the {sub_agent} workflow"
