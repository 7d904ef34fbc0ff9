"""What a conversation is about: its topic, an always-escalate topic, or a request out of scope.

The topic is the one of the user's first request that has one (conversations with a
support bot are opened by their purpose); only when no request names a topic do all the
user's words together decide.

Only the user's words define the subject. A user message that answers a bot's specific
question ("AC-482913", "They pinch at the toes") counts little for the topic and is never
judged for scope on its own: it makes sense only beside the question.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from escalation.case import Message, Role
from escalation.phrasebook import PhraseBook
from escalation.policy import Policy
from escalation.signals import Evidence
from escalation.text import fold
from escalation.topics import MIN_TOPIC_SCORE, TopicIndex

ANSWER_WEIGHT = 0.3
_OPEN_INVITATION = re.compile(
    r"\b(?:how|what)\s+(?:can|may|could)\s+i\s+(?:help|assist|do)|\banything\s+else\b|"
    r"\bwhat\s+(?:would|do)\s+you\s+(?:like|need)\b|\bwhat'?s\s+going\s+on\b|\bhow\s+are\s+you\b|"
    r"\ben\s+que\s+puedo|\bcomment\s+puis-je|\bwie\s+kann\s+ich|\bcomo\s+posso|\bcome\s+posso|"
    r"\bwaarmee\s+kan\s+ik"
)
_INFO_QUESTION = re.compile(
    r"^\W*(?:how|what|when|where|which|who|why|is|are|does|do|did|will|would|should|"
    r"can\s+i|could\s+i|may\s+i|am\s+i)\b"
)
_DESIRE = re.compile(
    r"\b(?:i|we)(?:'d|\s+would)?\s+(?:really\s+)?(?:want|like|need|wish)\b|\bplease\b"
)


@dataclass(frozen=True)
class Subject:
    """The conversation's subject as far as detection needs it."""

    topic: str | None
    rule: Evidence | None
    """An always-escalate topic the user raised (`family` holds the topic name)."""
    out_of_scope: Evidence | None
    requested_topics: frozenset[str]
    """Topics the user asked the bot to act on (not just asked about)."""


def read_subject(
    messages: Sequence[Message], policy: Policy, index: TopicIndex, book: PhraseBook
) -> Subject:
    """Read topic, rule and scope from the user's messages of the episode."""
    totals: dict[str, float] = defaultdict(float)
    opening: str | None = None
    rule: Evidence | None = None
    latest_request: tuple[int, Message] | None = None
    requested: set[str] = set()
    for position, message in enumerate(messages):
        if message.role is not Role.USER:
            continue
        answering = _answers_specific_question(messages, position)
        scores = index.score(message.text)
        weight = ANSWER_WEIGHT if answering else 1.0
        for name, score in scores.scores.items():
            totals[name] += weight * score
        rule = rule or _always_topic(policy, scores.keyword_hits, scores.best(), position, message)
        if not answering and not book.is_smalltalk(book.prepare(message.text)):
            latest_request = (position, message)
            best = scores.best()
            opening = opening or best
            if best is not None and _states_a_wish(message.text):
                requested.add(best)
    topic = opening or _best(totals)
    return Subject(
        topic, rule, _out_of_scope(policy, index, topic, latest_request), frozenset(requested)
    )


def _best(totals: dict[str, float]) -> str | None:
    candidates = [(score, name) for name, score in totals.items() if score >= MIN_TOPIC_SCORE]
    return max(candidates)[1] if candidates else None


def _always_topic(
    policy: Policy,
    keyword_hits: dict[str, list[str]],
    best: str | None,
    position: int,
    message: Message,
) -> Evidence | None:
    for name in policy.model.escalation.always_topics:
        if name in keyword_hits or name == best:
            return Evidence(name, position, message.text.strip())
    return None


def _out_of_scope(
    policy: Policy, index: TopicIndex, topic: str | None, latest: tuple[int, Message] | None
) -> Evidence | None:
    if latest is None or (topic is not None and topic in index.in_scope):
        return None
    position, message = latest
    if topic is not None and topic not in policy.model.escalation.always_topics:
        return Evidence(f"topic:{topic}", position, message.text.strip())
    off_subject = index.out_of_scope_words(message.text)
    if off_subject is None:
        return None
    return Evidence("words:" + ", ".join(off_subject[:4]), position, message.text.strip())


def _answers_specific_question(messages: Sequence[Message], position: int) -> bool:
    previous = next((m for m in reversed(messages[:position]) if m.role is not Role.SYSTEM), None)
    if previous is None or previous.role is not Role.BOT:
        return False
    folded = fold(previous.text)
    return "?" in folded and _OPEN_INVITATION.search(folded) is None


def _states_a_wish(text: str) -> bool:
    folded = fold(text)
    return _DESIRE.search(folded) is not None or _INFO_QUESTION.search(folded) is None
