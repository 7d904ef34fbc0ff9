"""Text helpers shared by every detector part: folding, words, stems and language.

Folding lower-cases, removes accents and unifies apostrophes, so phrase tables and
workspace words are written once without accents and still match "não", "médecin"
or "can’t". Stems come from Snowball (the language's own stemmer when known).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import snowballstemmer

from escalation.lexicon_loader import load_lexicon

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"'})
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CONTRACTION_ENDINGS = frozenset({"t", "s", "re", "ve", "ll", "d", "m"})
_SNOWBALL_NAMES = {
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "de": "german",
    "pt": "portuguese",
    "it": "italian",
    "nl": "dutch",
}
LANGUAGES: tuple[str, ...] = tuple(_SNOWBALL_NAMES)
"""The languages Handoff's phrase tables and stemmers cover."""


@cache
def fold(text: str) -> str:
    """Lower-case, accent-free text with straight apostrophes and single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)` plus, for each folded character, the index of its original character."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, original in enumerate(text.translate(_APOSTROPHES)):
        if original.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                offsets.append(index)
            continue
        for ch in unicodedata.normalize("NFKD", original.lower()):
            if not unicodedata.combining(ch):
                chars.append(ch)
                offsets.append(index)
    while chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    return "".join(chars), offsets


def words(text: str) -> list[str]:
    """The folded words of a text: "can't" → "cant", "l'adresse" → "l", "adresse"."""
    return [part for token in _WORD.findall(fold(text)) for part in _split_apostrophe(token)]


def _split_apostrophe(token: str) -> tuple[str, ...]:
    head, _, tail = token.partition("'")
    if not tail:
        return (token,)
    return (head + tail,) if tail in _CONTRACTION_ENDINGS else (head, tail)


@cache
def stopwords(language: str) -> frozenset[str]:
    """Function words of a language (folded)."""
    table = load_lexicon("stopwords")
    return frozenset(str(word) for word in table.get(language, ()))


@cache
def _all_stopwords() -> frozenset[str]:
    return frozenset().union(*(stopwords(language) for language in LANGUAGES))


@cache
def stem(word: str, language: str = "en") -> str:
    """The Snowball stem of one folded word."""
    return str(_stemmer(language).stemWord(word))


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_SNOWBALL_NAMES.get(language, "english"))


def detect_language(text: str, default: str = "en") -> str:
    """The language whose function words a text uses most; `default` when none stand out."""
    tokens = words(text)
    if not tokens:
        return default
    counts = {lang: sum(token in stopwords(lang) for token in tokens) for lang in LANGUAGES}
    best = max(counts, key=lambda lang: (counts[lang], lang == default))
    if counts[best] == 0 or counts[best] <= counts.get(default, 0):
        return default
    return best


def candidate_languages(text: str) -> tuple[str, ...]:
    """The languages a message may be written in, likeliest first; () when none shows.

    Those whose function words it uses most, plus English (support chats mix it in).
    A message with no function words at all ("agente!", "Angela") shows no language.
    """
    tokens = words(text)
    counts = {lang: sum(token in stopwords(lang) for token in tokens) for lang in LANGUAGES}
    best = max(counts.values(), default=0)
    if best == 0:
        return ()
    likeliest = tuple(lang for lang in LANGUAGES if counts[lang] == best)
    return likeliest + (() if "en" in likeliest else ("en",))


def conversation_languages(texts: list[str]) -> tuple[str, ...]:
    """The languages a conversation's messages show, or every covered language if none do.

    Messages that show no language of their own are read in these.
    """
    found = dict.fromkeys(lang for text in texts for lang in candidate_languages(text))
    return tuple(found) or LANGUAGES


def content_words(text: str, language: str | None = None) -> list[str]:
    """Words that can carry a topic: not function words of any covered language, not numbers."""
    skip = stopwords(language) if language else _all_stopwords()
    return [w for w in words(text) if w not in skip and not w.isdigit() and len(w) > 1]


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """A workspace phrase as a whole-word, case- and accent-insensitive regular expression."""
    parts = [re.escape(part) for part in fold(phrase).split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)")
