"""Volunteered reasons: a reason-like `text` detail the user gives without being asked.

What follows a "because"-like word counts when it is two words or more ("because the strap
broke"); otherwise a clause counts when it states a problem with the item or a property
that makes it unsuitable ("…, they are too small", "sie passen nicht", "llegó rota").
Questions, requests ("I want to return them"), small talk, clauses giving or naming another
detail ("my email is wrong"), denied problems ("not broken") and negations about the user
("I'm not sure") are not reasons. The cues are per language, from `lexicon/reasons.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from itertools import pairwise

from escalation.detail_patterns import EMAIL, ORDER_NUMBER
from escalation.lexicon_loader import load_lexicon
from escalation.phrase_tables import family_pattern, smalltalk_pattern, split_clauses
from escalation.policy_model import CollectItem
from escalation.text import (
    LANGUAGES,
    candidate_languages,
    content_words,
    fold,
    fold_with_offsets,
    stem,
    words,
)

_REASON_NAME = re.compile(r"reason|why|cause|motivo|raison|grund|reden|ragione|motivazione")


def is_reason(item: CollectItem) -> bool:
    """Whether a `text` detail asks for a reason, by its name or an `ask` starting "why"."""
    ask = (item.ask or "").strip().lower()
    return bool(_REASON_NAME.search(item.name.lower())) or ask.startswith("why")


@cache
def name_stems(item: CollectItem) -> frozenset[str]:
    """The stems of a detail's name words ("order_number" -> order, number)."""
    return frozenset(stem(w) for w in words(item.name.replace("_", " ")))


def volunteered_reason(text: str, items: Sequence[CollectItem]) -> str | None:
    """A reason the user gave unasked: after "because"-like words, or in a clause of its own.

    Any clause of the message may hold it ("…, they are too small", "Wrong size. I want to
    send them back"), but not the request itself, a question, small talk or another detail.
    """
    languages = candidate_languages(text) or LANGUAGES
    folded, offsets = fold_with_offsets(text)
    causal = _cue("causal", languages).search(folded)
    if causal and len(words(causal.group(1))) >= 2:
        return text[offsets[causal.start(1)] :].strip(" .!")
    for part, question in _clause_parts(text, folded, offsets, languages):
        if not question and _reason_like_clause(part, items, languages):
            return part.strip(" .!")
    return None


def _clause_parts(
    text: str, folded: str, offsets: list[int], languages: tuple[str, ...]
) -> list[tuple[str, bool]]:
    """The message's clauses split at commas, each with whether it is asked as a question.

    The clause before a question mark is the question ("I want to return them, can I?").
    """
    parts: list[tuple[str, bool]] = []
    for start, end in split_clauses(folded, languages):
        clause = text[offsets[start] : offsets[end - 1] + 1]
        pieces = [p for p in re.split(r",\s*", clause) if p.strip()]
        asked = folded[end : end + 1] == "?" or clause.rstrip().endswith("?")
        parts += [(p, asked and i == len(pieces) - 1) for i, p in enumerate(pieces)]
    return parts


_REQUEST_CLAUSE = re.compile(
    r"\b(?:i|we)(?:'d|\s+would)?\s+(?:really\s+)?(?:want|like|need|wish|have)\s+to\b|"
    r"^\W*(?:hi|hello|hey|good\s+\w+)\b|\b(?:can|could|may)\s+i\b|\bplease\b",
    re.IGNORECASE,
)


def _reason_like_clause(
    part: str, items: Sequence[CollectItem], languages: tuple[str, ...]
) -> bool:
    """Whether a clause describes a problem with the item, or a property that makes it unfit.

    Not the workflow request, a question, small talk, or a clause giving or discussing
    another detail ("my email is wrong"). A problem word ("broken", "klein", "fait mal")
    suffices; a negation needs a content word and must not be about the user ("I'm not
    sure", "no tengo el número"); a word of excess needs its adjective ("too small").
    """
    if EMAIL.search(part) or _REQUEST_CLAUSE.search(part):
        return False
    if any(item.pattern and re.search(item.pattern, part) for item in items):
        return False
    if ORDER_NUMBER.search(part) and len(words(part)) <= 4:
        return False
    if re.match(r"\W*(?:my|the)\s+(?:e-?mail|order|phone|number)\b", part, re.I):
        return False
    tokens = tuple(words(fold(part).replace("ß", "ss")))
    if not tokens or _names_another_detail(tokens, items) or _asks_or_chats(part, languages):
        return False
    likeliest = _likeliest(languages)
    found = {p for lang in languages for p in _problem_positions(tokens, lang)}
    negations = {i for lang in likeliest for i in _negation_positions(tokens, lang)}
    enough = any(token in _words_of("enough", lang) for token in tokens for lang in likeliest)
    # a negation just before a problem word denies it ("not broken", "n'est pas cassé",
    # "nicht zu klein"), unless the clause says "enough" ("not big enough")
    denied = set() if enough else {i for i in found if negations & set(range(i - _NEAR, i))}
    if found - denied:
        return True
    free = {n for n in negations if not denied & set(range(n + 1, n + 1 + _NEAR))}
    if free and content_words(part) and not _not_reason(likeliest).search(" ".join(tokens)):
        return True
    return any(
        i + 1 not in denied and not negations & set(range(i - _NEAR, i))
        for lang in likeliest
        for i in _degree_positions(tokens, lang)
    )


_NEAR = 3
"""How many words before a problem word a negation denies it."""
_NOT_STATEMENTS = ("user_wish", "user_question", "user_request", "user_withdraw")
"""Phrase families whose clauses ask or answer rather than state a problem, even negated
("I don't need a human", "no need to transfer me")."""


def _asks_or_chats(part: str, languages: tuple[str, ...]) -> bool:
    """A request (for the workflow or a human), a question or small talk, in any language."""
    folded = fold(part)
    for lang in languages:
        for family in _NOT_STATEMENTS:
            pattern = family_pattern(lang, family)
            if pattern is not None and pattern.search(folded):
                return True
        smalltalk = smalltalk_pattern(lang)
        if smalltalk is not None and smalltalk.search(folded):
            return True
    return False


def _names_another_detail(tokens: tuple[str, ...], items: Sequence[CollectItem]) -> bool:
    """The clause is about another detail: it holds every word of its name ("the email")."""
    said = {stem(token) for token in tokens}
    names = (name_stems(item) for item in items if not is_reason(item))
    return any(name and name <= said for name in names)


def _likeliest(languages: tuple[str, ...]) -> tuple[str, ...]:
    """The languages a message shows most, without English when it was only added as a fallback.

    Negations and words of excess are read in these only: English "no" is Portuguese "in the".
    """
    if languages[0] == "en" or "en" not in languages:
        return languages
    return tuple(lang for lang in languages if lang != "en")


def _problem_positions(tokens: tuple[str, ...], language: str) -> list[int]:
    """Where the clause's problem words (or phrases' first words) stand, in one language."""
    singles, stems, phrases = _problem_cues(language)
    found = [
        i
        for i, token in enumerate(tokens)
        if token in singles or (len(token) >= 4 and stem(token, language) in stems)
    ]
    joined = " ".join(tokens)
    return found + [joined.count(" ", 0, m.start()) for m in phrases.finditer(joined)]


def _negation_positions(tokens: tuple[str, ...], language: str) -> list[int]:
    """Where the clause's negations stand (a phrase at its last word), in one language."""
    joined = " ".join(tokens)
    return [
        joined.count(" ", 0, m.end()) for m in _phrase_cues("negation", language).finditer(joined)
    ]


def _degree_positions(tokens: tuple[str, ...], language: str) -> list[int]:
    """Words of excess right before a content word that is not an infinitive ("too small")."""
    excess = _words_of("degree", language)
    return [
        i
        for i, (token, following) in enumerate(pairwise(tokens))
        if token in excess
        and content_words(following)
        and not re.fullmatch(r"\w+(?:en|eln|ern)", following)
    ]


@cache
def _words_of(kind: str, language: str) -> frozenset[str]:
    """A kind's one-word entries of `lexicon/reasons.yaml` in one language, as folded words."""
    entries = (words(str(entry)) for entry in load_lexicon("reasons")[kind].get(language, []))
    return frozenset(entry[0] for entry in entries if len(entry) == 1)


@cache
def _problem_cues(language: str) -> tuple[frozenset[str], frozenset[str], re.Pattern[str]]:
    """A language's problem words; the longer ones and their stems; its phrases as a pattern."""
    singles = _words_of("problem", language)
    longer = [w for w in singles if len(w) >= 4]
    stems = frozenset(s for s in (*longer, *(stem(w, language) for w in longer)) if len(s) >= 4)
    return singles, stems, _phrase_cues("problem", language, phrases_only=True)


@cache
def _phrase_cues(kind: str, language: str, *, phrases_only: bool = False) -> re.Pattern[str]:
    """A kind's entries in one language as one pattern over a clause's words joined by spaces."""
    entries = [words(str(entry)) for entry in load_lexicon("reasons")[kind].get(language, [])]
    chosen = sorted(
        {" ".join(entry) for entry in entries if entry and (len(entry) > 1 or not phrases_only)},
        key=len,
        reverse=True,
    )
    return re.compile(rf"\b(?:{'|'.join(map(re.escape, chosen)) or '(?!x)x'})\b")


@cache
def _not_reason(languages: tuple[str, ...]) -> re.Pattern[str]:
    """`not_reason` expressions of the given languages, over a clause's words joined by spaces."""
    table = load_lexicon("reasons")["not_reason"]
    alternatives = [str(p) for lang in languages for p in table.get(lang, [])]
    return re.compile(rf"\b(?:{'|'.join(alternatives) or '(?!x)x'})\b")


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
