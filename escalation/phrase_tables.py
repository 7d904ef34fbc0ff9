"""Loading `escalation/phrases/<language>.yaml` and compiling its patterns, lazily.

A table's YAML is read and its `{term}` references expanded once; each family, guard
and the small-talk list is compiled on first use only, so `handoff detect` on English
conversations never pays for compiling six other languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from escalation.lexicon_loader import load_phrase_file

FAMILIES = (
    "user_request",
    "user_withdraw",
    "user_accept",
    "user_decline",
    "bot_offer",
    "bot_escalated",
    "bot_later",
    "bot_contact",
    "bot_lacks",
    "bot_not_understood",
    "user_wish",
    "user_question",
)
GUARDS = ("negation", "hypothetical", "not_request", "alternative", "clarify")
_TERM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class LanguageTable:
    """One language's phrase sources, with `{term}` references expanded."""

    families: dict[str, tuple[str, ...]]
    guards: dict[str, tuple[str, ...]]
    smalltalk: tuple[str, ...] = ()
    spelling: tuple[str, ...] = ()
    not_typos: tuple[str, ...] = ()
    clause_breaks: tuple[str, ...] = ()


@cache
def load_table(language: str) -> LanguageTable:
    """A language's table (empty when the language has no phrase file)."""
    try:
        data = load_phrase_file(language)
    except FileNotFoundError:
        return LanguageTable(families={}, guards={})
    terms = {name: _squash(value) for name, value in (data.get("terms") or {}).items()}
    expand = _Expander(terms)
    guards = data.get("guards") or {}
    return LanguageTable(
        families={name: tuple(map(expand, items)) for name, items in data["families"].items()},
        guards={name: tuple(map(expand, guards.get(name, []))) for name in GUARDS},
        smalltalk=tuple(map(expand, data.get("smalltalk", []))),
        spelling=tuple(str(w) for w in data.get("spelling", [])),
        not_typos=tuple(str(w) for w in data.get("not_typos", [])),
        clause_breaks=tuple(str(w) for w in data.get("clause_breaks", [])),
    )


@cache
def family_pattern(language: str, family: str) -> re.Pattern[str] | None:
    """One language's patterns of a family, compiled as one alternation."""
    return alternation(load_table(language).families.get(family, ()))


@cache
def guard_pattern(language: str, guard: str) -> re.Pattern[str] | None:
    """One language's patterns of a guard, compiled as one alternation."""
    return alternation(load_table(language).guards.get(guard, ()))


@cache
def smalltalk_pattern(language: str) -> re.Pattern[str] | None:
    """One language's greetings, thanks and goodbyes, compiled as one alternation."""
    return alternation(load_table(language).smalltalk)


@cache
def clause_pattern(languages: tuple[str, ...]) -> re.Pattern[str]:
    """Where a clause ends in folded text.

    Sentence ends, dashes, ellipses, and the `clause_breaks` words ("but", "pero",
    "mais"...) of the given languages.
    """
    breaks = [b for lang in languages for b in load_table(lang).clause_breaks]
    words = rf"|\b(?:{'|'.join(breaks)})\b" if breaks else ""
    return re.compile(rf"[.!?;]+(?:\s|$)|\n|\s[-–—]\s|\.\.\.{words}")


def split_clauses(folded: str, languages: tuple[str, ...]) -> list[tuple[int, int]]:
    """The (start, end) spans of a folded text's clauses."""
    spans, start = [], 0
    for match in clause_pattern(languages).finditer(folded):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(folded)))
    return [(a, b) for a, b in spans if folded[a:b].strip()]


def alternation(patterns: tuple[str, ...] | list[str]) -> re.Pattern[str] | None:
    """`(?:p1)|(?:p2)|...` compiled, or None for no patterns."""
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


class _Expander:
    """Replaces `{term}` with the term's pattern; terms may use other terms."""

    def __init__(self, terms: dict[str, str]) -> None:
        self.terms = terms

    def __call__(self, pattern: str) -> str:
        for _ in range(5):
            expanded = _TERM.sub(self._term, pattern)
            if expanded == pattern:
                return expanded
            pattern = expanded
        return pattern

    def _term(self, match: re.Match[str]) -> str:
        name = match.group(1)
        return self.terms[name] if name in self.terms else match.group(0)


def _squash(value: str) -> str:
    """Folded YAML blocks keep line breaks as spaces: drop whitespace inside a term."""
    return re.sub(r"\s*\n\s*|\s+(?=\|)|(?<=\|)\s+", "", str(value).strip())
