"""What a conversation is about: its topic, an always-escalate topic, or a request out of scope.

The topic is the one of the user's first request that has one (conversations with a
support bot are opened by their purpose); only when no request names a topic do all the
user's words together decide. Only the user's words define the subject. A user message
that answers a bot's specific question ("AC-482913", "They pinch at the toes") counts
little for the topic and is never judged for scope on its own: it makes sense only
beside the question.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from escalation.case import Message, Role
from escalation.lexicon_loader import load_lexicon
from escalation.phrasebook import PhraseBook, Prepared
from escalation.policy import Policy
from escalation.signals import Evidence
from escalation.text import LANGUAGES, fold
from escalation.topics import MIN_TOPIC_SCORE, TopicIndex, TopicScores

ANSWER_WEIGHT = 0.3
WISH_GUARDS = ("negation", "hypothetical")


@dataclass(frozen=True)
class Subject:
    """The conversation's subject as far as detection needs it."""

    topic: str | None
    rule: Evidence | None
    """An always-escalate topic the user raised (`subject` holds the topic name)."""
    out_of_scope: Evidence | None
    requested: dict[str, Evidence]
    """Topics the user asked the bot to act on (not just asked about), with their words."""


def read_subject(
    messages: Sequence[Message],
    policy: Policy,
    index: TopicIndex,
    book: PhraseBook,
    fallback: tuple[str, ...] = LANGUAGES,
) -> Subject:
    """Read topic, rule and scope from the user's messages of the episode."""
    totals: dict[str, float] = defaultdict(float)
    opening: str | None = None
    rule: Evidence | None = None
    latest_request: tuple[int, Message] | None = None
    requested: dict[str, Evidence] = {}
    for position, message in enumerate(messages):
        if message.role is not Role.USER:
            continue
        answering = _answers_specific_question(messages, position)
        scores = index.score(message.text)
        _add(totals, scores, ANSWER_WEIGHT if answering else 1.0)
        rule = rule or _always_topic(policy, scores, position, message)
        prepared = book.prepare(message.text, fallback)
        if answering or book.is_smalltalk(prepared):
            continue
        latest_request = (position, message)
        best = scores.best()
        opening = opening or best
        if best is not None and asks_to_act(prepared, book):
            requested.setdefault(best, Evidence("workflow", position, message.text.strip(), best))
    topic = opening or _best(totals, index.order)
    out_of_scope = _out_of_scope(policy, index, topic, latest_request)
    return Subject(topic, rule, out_of_scope, requested)


def asks_to_act(message: Prepared, book: PhraseBook) -> bool:
    """Whether the user asks the bot to do something, rather than asks about something.

    A wish ("I want to return…", "could you cancel…") that no question frame opens, or a
    plain statement (no question at all: "My parcel hasn't moved in a week").
    """
    questions = book.find("user_question", message)
    wishes = book.find("user_wish", message, guards=WISH_GUARDS)
    if any(not any(q.start <= w.start for q in questions) for w in wishes):
        return True
    return not wishes and not questions and "?" not in message.text


def _add(totals: dict[str, float], scores: TopicScores, weight: float) -> None:
    for name, score in scores.scores.items():
        totals[name] += weight * score


def _best(totals: dict[str, float], order: dict[str, int]) -> str | None:
    candidates = [name for name, score in totals.items() if score >= MIN_TOPIC_SCORE]
    return max(candidates, key=lambda name: (totals[name], -order[name]), default=None)


def _always_topic(
    policy: Policy, scores: TopicScores, position: int, message: Message
) -> Evidence | None:
    best = scores.best()
    for name in policy.model.escalation.always_topics:
        if name in scores.keyword_hits or name == best:
            return Evidence("always_topic", position, message.text.strip(), subject=name)
    return None


def _out_of_scope(
    policy: Policy, index: TopicIndex, topic: str | None, latest: tuple[int, Message] | None
) -> Evidence | None:
    if latest is None or (topic is not None and topic in index.in_scope):
        return None
    position, message = latest
    if topic is not None and topic not in policy.model.escalation.always_topics:
        return Evidence("out_of_scope_topic", position, message.text.strip(), subject=topic)
    off_subject = index.out_of_scope_words(message.text)
    if off_subject is None:
        return None
    words = ", ".join(off_subject[:4])
    return Evidence("off_subject_words", position, message.text.strip(), subject=words)


def _answers_specific_question(messages: Sequence[Message], position: int) -> bool:
    previous = next((m for m in reversed(messages[:position]) if m.role is not Role.SYSTEM), None)
    if previous is None or previous.role is not Role.BOT:
        return False
    folded = fold(previous.text)
    return "?" in folded and _open_invitation().search(folded) is None


@cache
def _open_invitation() -> re.Pattern[str]:
    """Any language's "How can I help?": `lexicon/dialogue.yaml`."""
    table = load_lexicon("dialogue")["open_invitation"]
    return re.compile("|".join(f"(?:{p})" for items in table.values() for p in items))
