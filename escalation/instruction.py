"""Reading `escalation.instruction` ("Only escalate when the user has a payment issue.") as topics.

The instruction's words (other languages' through the glossary) are matched against each
topic's name and keywords, else its description (stems, so "payment" finds `payments`).
An instruction naming topics narrows escalation to them (`only_topics`); one saying they
never go to a human ("Never escalate baggage questions") excludes them instead; one
saying they always do is shown as such (use `always_topics` to apply it). The words that
tell these apart are data: `lexicon/instruction.yaml`. An explicit
`escalation.only_topics` wins over the instruction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from escalation.domains import glossary
from escalation.lexicon_loader import load_lexicon
from escalation.text import compile_phrase, content_words, fold, stem, words

if TYPE_CHECKING:
    from escalation.policy_model import WorkspaceModel

_GENERIC = frozenset(
    stem(w)
    for w in (
        "escalate",
        "escalation",
        "user",
        "customer",
        "issue",
        "problem",
        "question",
        "human",
        "case",
        "conversation",
    )
)


Mode = Literal["only", "never", "always", "unmatched", "none"]


@dataclass(frozen=True)
class Narrowing:
    """Topics escalation is narrowed to, where that came from, and how an instruction read."""

    topics: tuple[str, ...]
    source: Literal["only_topics", "instruction", "none"]
    instruction_mode: Mode = "none"
    instruction_topics: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    """Topics that never escalate (from a "never" instruction)."""

    def describe(self) -> str:
        """A line for `handoff check-config`."""
        read = self._reading()
        if self.source == "only_topics":
            used = f"narrowed to {', '.join(self.topics)} (escalation.only_topics)"
            return f"{used}; {read} (ignored)" if read else used
        if self.source == "instruction":
            return f"narrowed to {', '.join(self.topics)} ({read})"
        if self.excluded:
            return f"never escalates {', '.join(self.excluded)} ({read})"
        return read or "not narrowed"

    def _reading(self) -> str:
        if self.instruction_mode == "unmatched":
            return "instruction matches no topic"
        if self.instruction_mode == "none":
            return ""
        return f"instruction read as {self.instruction_mode}: {', '.join(self.instruction_topics)}"


def interpret_instruction(model: WorkspaceModel) -> Narrowing:
    """The narrowing a workspace asks for: `only_topics`, else the instruction's topics."""
    explicit = model.escalation.only_topics
    text = model.escalation.instruction or ""
    mode: Mode = "none"
    topics: tuple[str, ...] = ()
    if text.strip():
        mode, topics = _read(text, model)
    if explicit:
        return Narrowing(explicit, "only_topics", mode, topics)
    if mode == "only":
        return Narrowing(topics, "instruction", mode, topics)
    excluded = topics if mode == "never" else ()
    return Narrowing((), "none", mode, topics, excluded)


def _read(text: str, model: WorkspaceModel) -> tuple[Mode, tuple[str, ...]]:
    table = glossary()
    said = {stem(table.get(w, w)) for w in content_words(text)} - _GENERIC
    topics = tuple(n for n, t in model.topics.items() if said & _named_stems(n, t.keywords))
    if not topics:
        topics = tuple(n for n, t in model.topics.items() if said & _described_stems(t.description))
    if not topics:
        return "unmatched", ()
    folded = fold(text)
    if _says(folded, "never"):
        return "never", topics
    return ("always" if _says(folded, "always") else "only"), topics


def _says(folded: str, kind: str) -> bool:
    phrases = load_lexicon("instruction")[kind]
    return any(compile_phrase(str(phrase)).search(folded) for phrase in phrases)


def _named_stems(name: str, keywords: tuple[str, ...]) -> set[str]:
    named = {stem(w) for w in words(name.replace("_", " "))}
    return named | {stem(w) for keyword in keywords for w in content_words(keyword)}


def _described_stems(description: str) -> set[str]:
    return {stem(w) for w in content_words(description)} - _GENERIC
