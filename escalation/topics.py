"""What a message is about: topic scores and the workspace's scope, from words alone.

A `TopicIndex` is built once per policy from each topic's name, description, examples and
keywords. Keywords match whole words and phrases on stems ("charged" matches "charge",
"chargeback" does not). Every other word is weighted by how few topics share it, so words
common to many topics decide little. Scope is the union of the in-scope topics' words and
the scope description; a message is out of scope only when it says several things and
none of them is a workspace word (see `out_of_scope_words`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from escalation.domains import (
    domain_spread,
    domain_stems,
    domains_of,
    glossary,
    off_subject_stems,
    service_stems,
    weak_stems,
)
from escalation.policy_model import Topic, WorkspaceModel
from escalation.text import content_words, detect_language, fold, stem, words

KEYWORD_SCORE = 1.5
MIN_TOPIC_SCORE = 0.75
"""On the normalized scale (a word only one topic has weighs 1): a topic's own name or
keyword word, or two words of its description or examples."""
OFF_SUBJECT_EVIDENCE = 1.0
"""Off-subject words needed, each weighing 1 / (the number of domains holding it)."""
TRANSLATED_EVIDENCE = 0.5
"""Less is needed from glossary translations: their forms are curated, not guessed."""
NAME_FLOOR = 0.8
"""A word of a topic's own name ("sizing" → size) is enough for that topic, however many
other topics share it."""
_NAME_FACTOR = 1.0
"""Topic names and keywords are chosen deliberately: their words count fully."""
_DESCRIPTION_FACTOR = 0.7
_EXAMPLE_FACTOR = 0.5
"""Example messages also carry incidental words ("these boots"): they count half."""


@dataclass(frozen=True)
class TopicScores:
    """Scores of one text against every topic, with keyword hits kept apart."""

    scores: dict[str, float]
    keyword_hits: dict[str, list[str]] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    """Each topic's position in the workspace file, for ties."""

    def best(self) -> str | None:
        """The highest-scoring topic above the minimum.

        Ties go to the topic with more keyword hits, then to the one defined first in the
        workspace file (never to alphabetical order).
        """
        candidates = [name for name, score in self.scores.items() if score >= MIN_TOPIC_SCORE]
        return max(
            candidates,
            key=lambda n: (
                self.scores[n],
                len(self.keyword_hits.get(n, ())),
                -self.order.get(n, 0),
            ),
            default=None,
        )


@dataclass(frozen=True)
class _TopicVocabulary:
    keywords: tuple[tuple[str, ...], ...]
    weights: dict[str, float]


class TopicIndex:
    """Word statistics of a workspace's topics and scope, built once per policy."""

    def __init__(self, model: WorkspaceModel) -> None:
        self.language = _workspace_language(model)
        raw = {name: _topic_words(name, topic) for name, topic in model.topics.items()}
        document_frequency = Counter(s for stems in raw.values() for s in set(stems))
        count = max(len(raw), 1)
        top = math.log(1 + count)
        self._idf = {s: math.log(1 + count / df) / top for s, df in document_frequency.items()}
        self.order = {name: position for position, name in enumerate(model.topics)}
        """Each topic's position in the workspace file."""
        self._topics = {
            name: self._vocabulary(name, topic, raw[name]) for name, topic in model.topics.items()
        }
        in_scope = set(model.scope.topics)
        deliberate = _deliberate_stems(model)
        self.domains = domains_of(deliberate)
        own_domain_stems = {s for name in self.domains for s in domain_stems()[name]}
        self.scope_stems = frozenset((deliberate | own_domain_stems) - weak_stems())
        """Words that put a message inside the scope."""
        examples = {s for name in in_scope for s in raw.get(name, {})}
        self.example_stems = frozenset(examples - self.scope_stems - weak_stems())
        """Words of in-scope examples only: weak evidence, since examples carry incidental words."""
        self.in_scope = frozenset(in_scope)

    def stems(self, text: str) -> list[str]:
        """Content-word stems of a text, other languages' words read through the glossary."""
        return [stem(w, self.language) for w in self._translated(content_words(text), text)]

    def _translated(self, tokens: list[str], text: str) -> list[str]:
        if detect_language(text, self.language) == self.language:
            return tokens
        table = glossary()
        return [table.get(token, token) for token in tokens]

    def score(self, text: str) -> TopicScores:
        """How strongly a text is about each topic."""
        stems = self.stems(text)
        all_stems = [stem(w, self.language) for w in self._translated(words(text), text)]
        scores: dict[str, float] = {}
        hits: dict[str, list[str]] = {}
        for name, vocabulary in self._topics.items():
            found = [" ".join(k) for k in vocabulary.keywords if _contains(all_stems, k)]
            score = sum(vocabulary.weights.get(s, 0.0) for s in set(stems))
            scores[name] = score + KEYWORD_SCORE * len(found)
            if found:
                hits[name] = found
        return TopicScores(scores, hits, self.order)

    def out_of_scope_words(self, text: str) -> list[str] | None:
        """The off-subject words of a message that is clearly outside the scope, else None.

        Clearly outside means: no word of it belongs to the scope or to the subject domains
        the workspace's words belong to, and more of its words belong to another subject
        domain (`lexicon/domains.yaml`) than to the topics' examples. A message in another
        language is judged by the words the glossary knows. Unknown words alone (product
        names, typos, untranslated words) never make a message out of scope.
        """
        content, translated = self._judged_words(text)
        stems = [stem(w, self.language) for w in content]
        if not stems or any(s in self.scope_stems for s in stems):
            return None
        ignorable = weak_stems() | service_stems()
        off_subject = off_subject_stems(self.domains)
        found = {
            w: s
            for w, s in zip(content, stems, strict=True)
            if s in off_subject and s not in ignorable and s not in self.example_stems
        }
        spread = domain_spread()
        weight = sum(1 / spread[s] for s in set(found.values()))
        echoed = {s for s in stems if s in self.example_stems}
        needed = TRANSLATED_EVIDENCE if translated else OFF_SUBJECT_EVIDENCE
        return list(found) if weight >= needed and weight > len(echoed) else None

    def _judged_words(self, text: str) -> tuple[list[str], bool]:
        """Content words to judge scope by, and whether they came through the glossary.

        In the workspace's language, names are left out; another language's words count
        only when the glossary translates them.
        """
        language = detect_language(text, self.language)
        content = content_words(text, language)
        if language == self.language:
            names = _names(text) if language == "en" else set()
            return [w for w in content if w not in names], False
        table = glossary()
        return [table[w] for w in content if w in table], True

    def _vocabulary(self, name: str, topic: Topic, stems: dict[str, float]) -> _TopicVocabulary:
        keywords = tuple(
            tuple(stem(w, self.language) for w in words(k)) for k in topic.keywords if words(k)
        )
        weights = {s: factor * self._idf[s] for s, factor in stems.items()}
        for own in {stem(w, self.language) for w in words(name.replace("_", " "))}:
            weights[own] = max(weights.get(own, 0.0), NAME_FLOOR)
        return _TopicVocabulary(keywords=keywords, weights=weights)


def _topic_words(name: str, topic: Topic) -> dict[str, float]:
    """Each stem of a topic with how much it counts (the strongest source wins)."""
    language = _language_of_texts([*topic.examples, topic.description])
    single = tuple(k for k in topic.keywords if len(k.split()) == 1)
    phrases = tuple(k for k in topic.keywords if len(k.split()) > 1)
    sources = [
        ((name.replace("_", " "), *single), _NAME_FACTOR),
        (phrases, _EXAMPLE_FACTOR),
        ((topic.description,), _DESCRIPTION_FACTOR),
        (topic.examples, _EXAMPLE_FACTOR),
    ]
    weights: dict[str, float] = {}
    for texts, factor in sources:
        for text in texts:
            for w in content_words(text):
                key = stem(w, language)
                weights[key] = max(weights.get(key, 0.0), factor)
    return weights


def _names(text: str) -> set[str]:
    """Capitalised words after a sentence's first word: names of people, places, products.

    English only: German, for one, capitalises every noun.
    """
    found: set[str] = set()
    for sentence in re.split(r"[.!?]\s+", text):
        for token in sentence.split()[1:]:
            word = token.strip(".,;:!?()\"'")
            if word[:1].isupper() and not word.isupper() and word.isalpha():
                found.add(fold(word))
    return found


def _contains(sequence: Sequence[str], phrase: Sequence[str]) -> bool:
    size = len(phrase)
    return any(
        tuple(sequence[i : i + size]) == tuple(phrase) for i in range(len(sequence) - size + 1)
    )


def _workspace_language(model: WorkspaceModel) -> str:
    texts = [model.scope.description]
    for topic in model.topics.values():
        texts += [topic.description, *topic.examples]
    return _language_of_texts(texts)


def _language_of_texts(texts: Sequence[str]) -> str:
    votes = Counter(detect_language(t) for t in texts if t)
    return votes.most_common(1)[0][0] if votes else "en"


def _deliberate_stems(model: WorkspaceModel) -> set[str]:
    """Stems of the words a workspace chose on purpose.

    The scope description and in-scope topics' names, descriptions and keywords; not the
    incidental words of example messages.
    """
    texts = [model.scope.description]
    for name in model.scope.topics:
        topic = model.topics[name]
        texts += [name.replace("_", " "), topic.description, *topic.keywords]
    return {stem(w) for text in texts for w in content_words(text)}
