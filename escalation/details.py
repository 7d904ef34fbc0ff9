"""Required details: which of a sub agent's `collect` items the user has given, and their values.

Typed details (`order_number`, `email`, `phone`, `pattern`) are found anywhere in the
user's messages; the latest value wins, so a correction counts. A `text` detail counts
when the user answers a bot message that asks for it by meaning (its name and `ask`
words), or, for a reason-like detail ("Why would you like to return it?"), when the
user volunteers one ("…, they are too small", "because the strap broke").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from escalation.case import Message, Role
from escalation.lexicon_loader import load_lexicon
from escalation.phrase_tables import split_clauses
from escalation.policy_model import CollectItem, DetailKind, SubAgent
from escalation.text import (
    LANGUAGES,
    candidate_languages,
    content_words,
    fold,
    fold_with_offsets,
    stem,
    words,
)

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
ORDER_NUMBER = re.compile(
    r"(?<![\w@.-])(?!\d{4}-\d{1,2}-\d{1,2}(?![\w-]))(?=[A-Za-z0-9-]*(?:\d[A-Za-z-]*){4})"
    r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![\w@-])"
)
"""A token of letters, digits and dashes holding at least 4 digits (not an ISO date)."""
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().-]{5,}\d(?!\w)")
MIN_ASK_SCORE = 1.5
"""Half the detail's name words and half its `ask` words (or more) make a bot message ask."""
_ASKING = re.compile(
    r"\?|\b(?:please|tell me|give me|provide|enter|send|share|describe|confirm|type|"
    r"por favor|s'il vous plait|bitte|per favore|alstublieft|graag)\b"
)
_REASON_NAME = re.compile(r"reason|why|cause|motivo|raison|grund|reden|ragione|motivazione")


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
            collected.update(_found_in_user_message(message.text, agent.collect, asked_now))
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
    why = MIN_ASK_SCORE if _is_reason(item) and asks_why else 0.0
    return 2 * name_part + ask_part + why


@cache
def _keys(item: CollectItem) -> tuple[frozenset[str], frozenset[str]]:
    name_stems = frozenset(stem(w) for w in words(item.name.replace("_", " ")))
    ask_stems = frozenset(stem(w) for w in content_words(item.ask or "", "en"))
    return name_stems, ask_stems


def _is_reason(item: CollectItem) -> bool:
    ask = (item.ask or "").strip().lower()
    return bool(_REASON_NAME.search(item.name.lower())) or ask.startswith("why")


def _found_in_user_message(
    text: str, items: Sequence[CollectItem], asked: set[str]
) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items:
        value = _typed_value(item, text) if item.kind is not DetailKind.TEXT else None
        if item.kind is DetailKind.TEXT:
            value = _text_value(item, text, answering=item.name in asked, items=items)
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
    if _is_reason(item):
        return volunteered_reason(text, items)
    return None


def _substantive(text: str) -> bool:
    """A real answer: some words, not just a question back or a refusal."""
    stripped = text.strip()
    if not words(stripped) or stripped.endswith("?"):
        return False
    return not re.fullmatch(r"\W*(?:no|nope|idk|i don'?t know|not sure|why\W*)\W*", stripped, re.I)


def volunteered_reason(text: str, items: Sequence[CollectItem]) -> str | None:
    """A reason the user gave unasked: after "because"-like words, or in its own clause."""
    languages = candidate_languages(text) or LANGUAGES
    folded, offsets = fold_with_offsets(text)
    causal = _cue("causal", languages).search(folded)
    if causal and len(words(causal.group(1))) >= 2:
        return text[offsets[causal.start(1)] :].strip(" .!")
    sentences = [text[offsets[a] : offsets[b - 1] + 1] for a, b in split_clauses(folded, languages)]
    parts = [p for c in sentences for p in re.split(r",\s*", c) if p.strip()]
    for part in parts[1:]:
        if _reason_like_clause(part, items, languages):
            return part.strip(" .!")
    return None


_REQUEST_CLAUSE = re.compile(
    r"\b(?:i|we)(?:'d|\s+would)?\s+(?:really\s+)?(?:want|like|need|wish|have)\s+to\b|"
    r"^\W*(?:hi|hello|hey|good\s+\w+)\b|\b(?:can|could|may)\s+i\b|\bplease\b",
    re.IGNORECASE,
)


def _reason_like_clause(
    part: str, items: Sequence[CollectItem], languages: tuple[str, ...]
) -> bool:
    if part.rstrip().endswith("?") or EMAIL.search(part) or _REQUEST_CLAUSE.search(part):
        return False
    if any(item.pattern and re.search(item.pattern, part) for item in items):
        return False
    if ORDER_NUMBER.search(part) and len(words(part)) <= 4:
        return False
    if re.match(r"\W*(?:my|the)\s+(?:e-?mail|order|phone|number)\b", part, re.I):
        return False
    cues = _cue("problem", languages)
    return len(content_words(part)) >= 2 and cues.search(fold(part)) is not None


@cache
def _cue(kind: str, languages: tuple[str, ...]) -> re.Pattern[str]:
    """The `lexicon/reasons.yaml` words of one kind in the given languages, as one pattern.

    For `causal`, group 1 is the reason that follows the word.
    """
    table = load_lexicon("reasons")[kind]
    phrases = sorted({str(p) for lang in languages for p in table.get(lang, [])}, key=len)
    alternatives = "|".join(r"\s+".join(map(re.escape, p.split())) for p in reversed(phrases))
    tail = r"\s*(.+)" if kind == "causal" else ""
    return re.compile(rf"(?<!\w)(?:{alternatives or '(?!x)x'})(?!\w){tail}")
