"""Phrase families as data, matched per language with their guards.

`escalation/phrases/<language>.yaml` holds each language's families (say `user_request`)
and guards (see `phrase_tables.py`). A message is searched in the languages it may be
written in — the one its function words point to, plus English, or every language when
nothing points anywhere ("agente!") — and each hit is checked against its own language's
guards: a negation just before it ("I don't need a human"), a hypothetical in its clause
("if that fails I can transfer you"), and so on (header of `phrases/en.yaml`). A
workspace's own phrases (`escalation.phrases`) form the pseudo-language `workspace`,
guarded by English rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from escalation.phrase_tables import (
    FAMILIES,
    GUARDS,
    alternation,
    clause_pattern,
    family_pattern,
    guard_pattern,
    load_table,
    smalltalk_pattern,
)
from escalation.policy_model import PhraseRules
from escalation.spelling import SpellingFixer
from escalation.text import LANGUAGES, candidate_languages, compile_phrase, fold_with_offsets

__all__ = ["FAMILIES", "GUARDS", "Hit", "PhraseBook", "Prepared", "build_phrasebook"]

WORKSPACE = "workspace"
_PREPARED_LIMIT = 8192


@dataclass(frozen=True)
class Hit:
    """One phrase-family match in a prepared message, after guards."""

    family: str
    language: str
    start: int
    end: int


@dataclass(frozen=True)
class Prepared:
    """A message ready for matching: folded, typos fixed, each character's original offset."""

    original: str
    text: str
    offsets: tuple[int, ...]
    languages: tuple[str, ...] = LANGUAGES
    """The languages the message may be written in, searched in this order."""

    def quote(self, hit: Hit) -> str:
        """The clause of the original message that holds a hit, as it was written."""
        if not self.offsets:
            return self.original.strip()
        start = clause_start_of(self.text, hit.start, self.languages)
        end = clause_end_of(self.text, hit.end, self.languages)
        end = min(max(end, hit.end), len(self.offsets)) - 1
        return self.original[self.offsets[start] : self.offsets[end] + 1].strip(" ,;")


@dataclass(frozen=True)
class PhraseBook:
    """The shipped phrase tables plus a workspace's own phrases."""

    extra: dict[str, re.Pattern[str]] = field(default_factory=dict)
    ignore: tuple[re.Pattern[str], ...] = ()
    spelling: SpellingFixer = field(default_factory=lambda: SpellingFixer(()))

    _prepared: dict[tuple[str, tuple[str, ...]], Prepared] = field(
        default_factory=dict, repr=False, compare=False
    )
    """Messages already prepared: each is read by several families and passes."""

    def prepare(self, text: str, fallback: tuple[str, ...] = LANGUAGES) -> Prepared:
        """Fold a message and, in English, fix one-letter typos of key words; keep offsets.

        `fallback`: the languages to read it in when it shows none of its own (usually
        the conversation's, from `text.conversation_languages`).
        """
        key = (text, fallback)
        prepared = self._prepared.get(key)
        if prepared is None:
            if len(self._prepared) >= _PREPARED_LIMIT:
                self._prepared.clear()
            prepared = self._prepared[key] = self._prepare(text, fallback)
        return prepared

    def _prepare(self, text: str, fallback: tuple[str, ...]) -> Prepared:
        folded, offsets = fold_with_offsets(text)
        languages = candidate_languages(text) or fallback
        if languages[0] == "en":
            folded, offsets = self.spelling.correct_text(folded, offsets)
        return Prepared(text, folded, tuple(offsets), languages)

    def find(self, family: str, message: Prepared, *, guards: Iterable[str] = ()) -> list[Hit]:
        """Hits of one family in a prepared message that no requested guard cancels."""
        wanted = tuple(guards)
        hits = []
        for language, pattern in self._patterns(family, message.languages):
            for match in pattern.finditer(message.text):
                hit = Hit(family, language, match.start(), match.end())
                if not self._ignored(hit, message.text) and not self._cancelled(
                    hit, message, wanted
                ):
                    hits.append(hit)
        return sorted(hits, key=lambda hit: hit.start)

    def guard_matches(self, guard: str, language: str, text: str) -> bool:
        """Whether a guard of the hit's language (English for workspace phrases) matches."""
        return any(
            _search(guard_pattern(lang, guard), text) for lang in _guard_languages(guard, language)
        )

    def is_smalltalk(self, message: Prepared) -> bool:
        """Whether a whole message is a greeting, thanks, goodbye or similar glue."""
        return any(_search(smalltalk_pattern(lang), message.text) for lang in message.languages)

    def _patterns(
        self, family: str, languages: tuple[str, ...]
    ) -> list[tuple[str, re.Pattern[str]]]:
        found = [(lang, family_pattern(lang, family)) for lang in languages]
        found.append((WORKSPACE, self.extra.get(family)))
        return [(lang, pattern) for lang, pattern in found if pattern is not None]

    def _ignored(self, hit: Hit, folded: str) -> bool:
        return any(
            m.start() < hit.end and hit.start < m.end()
            for pattern in self.ignore
            for m in pattern.finditer(folded)
        )

    def _cancelled(self, hit: Hit, message: Prepared, guards: tuple[str, ...]) -> bool:
        folded, languages = message.text, message.languages
        clause_start = clause_start_of(folded, hit.start, languages)
        before = folded[clause_start : hit.start]
        clause = folded[clause_start : clause_end_of(folded, hit.end, languages)]
        after = folded[hit.end :]
        scopes = {"negation": before, "hypothetical": before, "not_request": clause}
        return any(
            self.guard_matches(guard, hit.language, scopes.get(guard, after)) for guard in guards
        )


def clause_start_of(folded: str, position: int, languages: tuple[str, ...]) -> int:
    """Where the clause holding `position` starts."""
    start = 0
    for match in clause_pattern(languages).finditer(folded, 0, position):
        start = match.end()
    return start


def clause_end_of(folded: str, position: int, languages: tuple[str, ...]) -> int:
    """Where the clause holding `position` ends."""
    match = clause_pattern(languages).search(folded, position)
    return match.start() if match else len(folded)


def _guard_languages(guard: str, language: str) -> tuple[str, ...]:
    """Whose guards apply to a hit: its own language's, and English's as a fallback.

    Workspace phrases are guarded in English. English negation never guards another
    language's hit: English "no" is Portuguese "in the" ("estou no app e quero ...").
    """
    if language == WORKSPACE:
        return ("en",)
    if guard == "negation" and language != "en":
        return (language,)
    return (language, "en")


def _search(pattern: re.Pattern[str] | None, text: str) -> bool:
    return pattern is not None and pattern.search(text) is not None


@cache
def build_phrasebook(rules: PhraseRules) -> PhraseBook:
    """The shipped tables plus a workspace's own phrases (cached per distinct rules)."""
    extra = {
        "user_request": alternation([compile_phrase(p).pattern for p in rules.user_request]),
        "bot_escalated": alternation([compile_phrase(p).pattern for p in rules.bot_handoff]),
    }
    tables = [load_table(language) for language in LANGUAGES]
    return PhraseBook(
        extra={family: pattern for family, pattern in extra.items() if pattern is not None},
        ignore=tuple(compile_phrase(p) for p in rules.ignore),
        spelling=SpellingFixer(
            [w for t in tables for w in t.spelling], [w for t in tables for w in t.not_typos]
        ),
    )
