"""Required details: which of a sub agent's `collect` items the user has given, and their values.

Typed details (`order_number`, `email`, `phone`, `pattern`) are found anywhere in the
user's messages; the latest value wins, so a correction counts. A `text` detail counts
when the user answers a bot message that asks for it by meaning (its name and `ask`
words), or, for a reason-like detail ("Why would you like to return it?"), when the
user volunteers one: after "because"-like words ("because the strap broke"), or in any
clause of a user message that describes a problem with the item or a property that makes
it unsuitable ("…, they are too small", "sie passen nicht", "llegó rota") and is not the
request itself, a question, small talk or another detail (`escalation.reasons`).
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import cache

from escalation.case import Message, Role
from escalation.detail_patterns import EMAIL, ORDER_NUMBER, PHONE
from escalation.policy_model import CollectItem, DetailKind, SubAgent
from escalation.reasons import is_reason, name_stems, volunteered_reason
from escalation.text import content_words, fold, stem, words

MIN_ASK_SCORE = 1.5
"""Half the detail's name words and half its `ask` words (or more) make a bot message ask."""
_ASKING = re.compile(
    r"\?|\b(?:please|tell me|give me|provide|enter|send|share|describe|confirm|type|"
    r"por favor|s'il vous plait|bitte|per favore|alstublieft|graag)\b"
)


@dataclass(frozen=True)
class DetailState:
    """What the conversation holds of a sub agent's required details."""

    collected: dict[str, str]
    missing: tuple[str, ...]
    asked: bool
    """Whether the bot asked for any of the sub agent's details (the workflow started)."""


def collect_details(agent: SubAgent, messages: Sequence[Message]) -> DetailState:
    """Walk the episode oldest first and record every detail the user gave."""
    collected: dict[str, str] = {}
    asked_now: set[str] = set()
    asked_ever = False
    for message in messages:
        if message.role is Role.BOT:
            asked_now = details_asked(message.text, agent.collect)
            asked_ever = asked_ever or bool(asked_now)
        elif message.role is Role.USER:
            found = _found_in_user_message(message.text, agent.collect, asked_now, collected)
            collected.update(found)
            asked_now = set()
    missing = tuple(item.name for item in agent.collect if item.name not in collected)
    ordered = {item.name: collected[item.name] for item in agent.collect if item.name in collected}
    return DetailState(collected=ordered, missing=missing, asked=asked_ever)


def details_asked(bot_text: str, items: Sequence[CollectItem]) -> set[str]:
    """The details a bot message asks for, judged by meaning rather than exact wording."""
    if not _ASKING.search(bot_text.lower()):
        return set()
    said = {stem(w) for w in words(bot_text)}
    scores = {item.name: _ask_score(item, said, bot_text) for item in items}
    best = max(scores.values(), default=0.0)
    if best < MIN_ASK_SCORE:
        return set()
    return {name for name, score in scores.items() if score >= best / 2}


def _ask_score(item: CollectItem, said: set[str], bot_text: str) -> float:
    name_stems, ask_stems = _keys(item)
    name_part = len(name_stems & said) / len(name_stems) if name_stems else 0.0
    ask_part = len(ask_stems & said) / len(ask_stems) if ask_stems else 0.0
    asks_why = re.search(
        r"\bwhy\b|\breason\b|\bporque\b|\bpourquoi\b|\bwarum\b|\bperche\b|\bwaarom\b",
        fold(bot_text),
    )
    why = MIN_ASK_SCORE if is_reason(item) and asks_why else 0.0
    return 2 * name_part + ask_part + why


@cache
def _keys(item: CollectItem) -> tuple[frozenset[str], frozenset[str]]:
    ask_stems = frozenset(stem(w) for w in content_words(item.ask or "", "en"))
    return name_stems(item), ask_stems


def _found_in_user_message(
    text: str, items: Sequence[CollectItem], asked: set[str], known: Container[str]
) -> dict[str, str]:
    """The details one user message gives.

    A reason volunteered later does not replace one already given; an answer to the bot's
    question for it does.
    """
    found: dict[str, str] = {}
    for item in items:
        value = _typed_value(item, text) if item.kind is not DetailKind.TEXT else None
        if item.kind is DetailKind.TEXT:
            answering = item.name in asked
            if not answering and item.name in known:
                continue
            value = _text_value(item, text, answering=answering, items=items)
        if value:
            found[item.name] = value
    return found


def _typed_value(item: CollectItem, text: str) -> str | None:
    if item.pattern:
        return _last_match(re.compile(item.pattern), text)
    if item.kind is DetailKind.EMAIL:
        return _last_match(EMAIL, text)
    if item.kind is DetailKind.PHONE:
        return _phone(text)
    if item.kind is DetailKind.ORDER_NUMBER:
        return _last_match(ORDER_NUMBER, EMAIL.sub(" ", text))
    return None


def _last_match(pattern: re.Pattern[str], text: str) -> str | None:
    matches = list(pattern.finditer(text))
    return matches[-1].group(0) if matches else None


def _phone(text: str) -> str | None:
    for match in reversed(list(PHONE.finditer(EMAIL.sub(" ", text)))):
        digits = sum(ch.isdigit() for ch in match.group(0))
        if 7 <= digits <= 15:
            return match.group(0).strip()
    return None


def _text_value(
    item: CollectItem, text: str, *, answering: bool, items: Sequence[CollectItem]
) -> str | None:
    if answering:
        return text.strip() if _substantive(text) else None
    if is_reason(item):
        return volunteered_reason(text, items)
    return None


def _substantive(text: str) -> bool:
    """A real answer: some words, not just a question back or a refusal."""
    stripped = text.strip()
    if not words(stripped) or stripped.endswith("?"):
        return False
    return not re.fullmatch(r"\W*(?:no|nope|idk|i don'?t know|not sure|why\W*)\W*", stripped, re.I)
