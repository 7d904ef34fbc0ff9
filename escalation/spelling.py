"""One-letter typo correction towards a small key vocabulary ("somneone" → "someone").

A delete index (the SymSpell idea) finds every key word one insertion, deletion,
substitution or adjacent swap away, without comparing against each key word. Only words
of five letters or more are corrected, and only when exactly one key word is that close.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z]{5,}")
MIN_LENGTH = 5
_ENDINGS = frozenset({"s", "es", "d", "ed", "ing", "r", "er", "ers", "ion", "ions", "ly"})


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class SpellingFixer:
    """Maps a mistyped word to the one key word it is one edit away from."""

    def __init__(self, vocabulary: Iterable[str], exceptions: Iterable[str] = ()) -> None:
        self.vocabulary = frozenset(vocabulary)
        self.exceptions = frozenset(exceptions) | self.vocabulary
        index: dict[str, set[str]] = {}
        for word in self.vocabulary:
            for key in {word} | _deletes(word):
                index.setdefault(key, set()).add(word)
        self._index = index

    def correct(self, word: str) -> str:
        """The key word meant by `word`, or `word` itself."""
        if len(word) < MIN_LENGTH or word in self.exceptions or self._inflected(word):
            return word
        candidates = set(self._index.get(word, ()))
        for key in _deletes(word):
            candidates |= self._index.get(key, set())
        return candidates.pop() if len(candidates) == 1 else word

    def _inflected(self, word: str) -> bool:
        """A key word plus an ending ("escalated", "persons") is not a typo."""
        return any(
            word[:cut] in self.vocabulary and word[cut:] in _ENDINGS
            for cut in range(MIN_LENGTH - 1, len(word))
        )

    def correct_text(self, text: str, offsets: list[int]) -> tuple[str, list[int]]:
        """Correct every word of folded text, keeping each character's original offset."""
        pieces: list[str] = []
        new_offsets: list[int] = []
        cursor = 0
        for match in _WORD.finditer(text):
            fixed = self.correct(match.group(0))
            if fixed == match.group(0):
                continue
            pieces.append(text[cursor : match.start()])
            new_offsets += offsets[cursor : match.start()]
            pieces.append(fixed)
            last = match.end() - 1
            new_offsets += [offsets[min(match.start() + i, last)] for i in range(len(fixed))]
            cursor = match.end()
        if not pieces:
            return text, offsets
        pieces.append(text[cursor:])
        new_offsets += offsets[cursor:]
        return "".join(pieces), new_offsets
