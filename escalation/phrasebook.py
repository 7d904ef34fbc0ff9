"""Phrase families as data: `escalation/phrases/<language>.yaml` compiled into one matcher.

Each family (say `user_request`) becomes one regular expression whose alternatives are
named by language, so a single search finds a hit and tells which language's guards
apply to it. Guards cancel a hit: a negation just before it ("I don't need a human"), a
hypothetical in its clause ("if that fails I can transfer you"), and so on — see the
header of `phrases/en.yaml`. A workspace's own phrases (`escalation.phrases`) join the
families as the pseudo-language `workspace`, guarded by English rules and the message's
own language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from escalation.lexicon_loader import load_phrase_file
from escalation.policy_model import PhraseRules
from escalation.spelling import SpellingFixer
from escalation.text import LANGUAGES, compile_phrase, detect_language, fold_with_offsets

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
)
GUARDS = ("negation", "hypothetical", "not_request", "alternative", "clarify")
_TERM = re.compile(r"\{(\w+)\}")
_CLAUSE_END = re.compile(r"[.!?;]+(?:\s|$)|\n|\s[-–—]\s|\.\.\.|\b(?:but|pero|aber|maar)\b")
WORKSPACE = "workspace"


@dataclass(frozen=True)
class Prepared:
    """A message ready for matching: folded, typos fixed, each character's original offset."""

    original: str
    text: str
    offsets: tuple[int, ...]

    def quote(self, hit: Hit) -> str:
        """The clause of the original message that holds a hit, as it was written."""
        if not self.offsets:
            return self.original.strip()
        start = clause_start_of(self.text, hit.start)
        end = min(max(clause_end_of(self.text, hit.end), hit.end), len(self.offsets)) - 1
        return self.original[self.offsets[start] : self.offsets[end] + 1].strip(" ,;")


@dataclass(frozen=True)
class Hit:
    """One phrase-family match in a folded message, after guards."""

    family: str
    language: str
    start: int
    end: int


@dataclass(frozen=True)
class _LanguageTable:
    families: dict[str, list[str]]
    guards: dict[str, re.Pattern[str] | None]
    smalltalk: re.Pattern[str] | None
    spelling: tuple[str, ...] = ()
    not_typos: tuple[str, ...] = ()


@dataclass(frozen=True)
class PhraseBook:
    """Compiled phrase families for every covered language plus a workspace's own phrases."""

    families: dict[str, re.Pattern[str]]
    guards: dict[str, dict[str, re.Pattern[str] | None]]
    smalltalk: re.Pattern[str]
    spelling: SpellingFixer
    ignore: tuple[re.Pattern[str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "prepare", lru_cache(maxsize=8192)(self._prepare))

    def prepare(self, text: str) -> Prepared:
        """Fold a message and, in English, fix one-letter typos of key words; keep offsets."""
        return self._prepare(text)

    def _prepare(self, text: str) -> Prepared:
        folded, offsets = fold_with_offsets(text)
        if detect_language(text) != "en":
            return Prepared(text, folded, tuple(offsets))
        fixed, fixed_offsets = self.spelling.correct_text(folded, offsets)
        return Prepared(text, fixed, tuple(fixed_offsets))

    def find(self, family: str, message: Prepared, *, guards: Iterable[str] = ()) -> list[Hit]:
        """Hits of one family in a prepared message that no requested guard cancels."""
        pattern = self.families.get(family)
        if pattern is None:
            return []
        folded = message.text
        wanted = tuple(guards)
        hits = []
        for match in pattern.finditer(folded):
            hit = Hit(family, _language_of(match), match.start(), match.end())
            if not self._ignored(hit, folded) and not self._cancelled(hit, folded, wanted):
                hits.append(hit)
        return hits

    def guard_matches(self, guard: str, language: str, text: str) -> bool:
        """Whether a guard of the hit's language (English for workspace phrases) matches."""
        languages = _guard_languages(guard, language)
        return any(_search(self.guards.get(lang, {}).get(guard), text) for lang in languages)

    def is_smalltalk(self, message: Prepared) -> bool:
        """Whether a whole message is a greeting, thanks, goodbye or similar glue."""
        return self.smalltalk.search(message.text) is not None

    def _ignored(self, hit: Hit, folded: str) -> bool:
        return any(
            m.start() < hit.end and hit.start < m.end()
            for pattern in self.ignore
            for m in pattern.finditer(folded)
        )

    def _cancelled(self, hit: Hit, folded: str, guards: tuple[str, ...]) -> bool:
        clause_start = clause_start_of(folded, hit.start)
        before = folded[clause_start : hit.start]
        clause = folded[clause_start : clause_end_of(folded, hit.end)]
        after = folded[hit.end :]
        scopes = {"negation": before, "hypothetical": before, "not_request": clause}
        return any(
            self.guard_matches(guard, hit.language, scopes.get(guard, after)) for guard in guards
        )


def clause_start_of(folded: str, position: int) -> int:
    """Where the clause holding `position` starts."""
    start = 0
    for match in _CLAUSE_END.finditer(folded, 0, position):
        start = match.end()
    return start


def clause_end_of(folded: str, position: int) -> int:
    """Where the clause holding `position` ends."""
    match = _CLAUSE_END.search(folded, position)
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


def _language_of(match: re.Match[str]) -> str:
    group = match.lastgroup or "en_0"
    return group.rsplit("_", 1)[0]


@cache
def base_phrasebook() -> PhraseBook:
    """The shipped phrase tables of every covered language, compiled once."""
    return build_phrasebook(PhraseRules())


@cache
def build_phrasebook(rules: PhraseRules) -> PhraseBook:
    """The shipped tables plus a workspace's own phrases (cached per distinct rules)."""
    tables = {language: _load_table(language) for language in LANGUAGES}
    extra = {
        "user_request": [_phrase_regex(p) for p in rules.user_request],
        "bot_escalated": [_phrase_regex(p) for p in rules.bot_handoff],
    }
    families = {family: _combine(family, tables, extra.get(family, [])) for family in FAMILIES}
    smalltalk = "|".join(
        f"(?:{t.smalltalk.pattern})" for t in tables.values() if t.smalltalk is not None
    )
    spelling = SpellingFixer(
        [w for t in tables.values() for w in t.spelling],
        [w for t in tables.values() for w in t.not_typos],
    )
    return PhraseBook(
        families={name: pattern for name, pattern in families.items() if pattern is not None},
        guards={language: table.guards for language, table in tables.items()},
        smalltalk=re.compile(smalltalk or r"(?!x)x"),
        spelling=spelling,
        ignore=tuple(compile_phrase(p) for p in rules.ignore),
    )


def _phrase_regex(phrase: str) -> str:
    return compile_phrase(phrase).pattern


def _combine(
    family: str, tables: dict[str, _LanguageTable], extra: list[str]
) -> re.Pattern[str] | None:
    patterns = {language: table.families.get(family, []) for language, table in tables.items()}
    patterns[WORKSPACE] = extra
    groups = [
        f"(?P<{language}_0>" + "|".join(f"(?:{p})" for p in items) + ")"
        for language, items in patterns.items()
        if items
    ]
    return re.compile("|".join(groups)) if groups else None


@cache
def _load_table(language: str) -> _LanguageTable:
    try:
        data = load_phrase_file(language)
    except FileNotFoundError:
        return _LanguageTable(families={}, guards={}, smalltalk=None)
    terms = {name: _squash(value) for name, value in (data.get("terms") or {}).items()}
    expand = _Expander(terms)
    families = {name: [expand(p) for p in items] for name, items in data["families"].items()}
    guards = {
        name: _alternation(map(expand, data.get("guards", {}).get(name, []))) for name in GUARDS
    }
    return _LanguageTable(
        families,
        guards,
        _alternation(map(expand, data.get("smalltalk", []))),
        spelling=tuple(str(w) for w in data.get("spelling", [])),
        not_typos=tuple(str(w) for w in data.get("not_typos", [])),
    )


class _Expander:
    """Replaces `{term}` with the term's pattern, terms may use earlier terms."""

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


def _alternation(patterns: Iterator[str]) -> re.Pattern[str] | None:
    items = list(patterns)
    return re.compile("|".join(f"(?:{p})" for p in items)) if items else None
