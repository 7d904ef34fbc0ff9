"""Reading `escalation.instruction` ("Only escalate when the user has a payment issue.") as topics.

The instruction's words are matched against each topic's name, keywords and description
(stems, so "payment" finds `payments`). Words such as "only" or "just" make it a
narrowing (`only_topics`); "always" makes it an always-escalate rule. An explicit
`escalation.only_topics` wins over the instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from escalation.text import content_words, fold, stem, words

if TYPE_CHECKING:
    from escalation.policy_model import WorkspaceModel

_ALWAYS = re.compile(r"\b(?:always|siempre|toujours|immer|sempre|altijd)\b")
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


Mode = Literal["only", "always", "unmatched", "none"]


@dataclass(frozen=True)
class Narrowing:
    """Topics escalation is narrowed to, where that came from, and how an instruction read."""

    topics: tuple[str, ...]
    source: Literal["only_topics", "instruction", "none"]
    instruction_mode: Mode = "none"
    instruction_topics: tuple[str, ...] = ()

    def describe(self) -> str:
        """A line for `handoff check-config`."""
        if self.instruction_mode == "unmatched":
            return "instruction matches no topic; escalation is not narrowed"
        read = ""
        if self.instruction_mode != "none":
            read = (
                f"instruction read as {self.instruction_mode}: {', '.join(self.instruction_topics)}"
            )
        if self.source == "only_topics":
            used = f"narrowed to {', '.join(self.topics)} (escalation.only_topics)"
            return f"{used}; {read} (ignored)" if read else used
        if self.source == "instruction":
            return f"narrowed to {', '.join(self.topics)} ({read})"
        return read or "not narrowed"


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
    return Narrowing((), "none", mode, topics)


def _read(
    text: str, model: WorkspaceModel
) -> tuple[Literal["only", "always", "unmatched"], tuple[str, ...]]:
    said = {stem(w) for w in content_words(text)} - _GENERIC
    topics = tuple(n for n, t in model.topics.items() if said & _named_stems(n, t.keywords))
    if not topics:
        topics = tuple(n for n, t in model.topics.items() if said & _described_stems(t.description))
    if not topics:
        return "unmatched", ()
    return ("always" if _ALWAYS.search(fold(text)) else "only"), topics


def _named_stems(name: str, keywords: tuple[str, ...]) -> set[str]:
    named = {stem(w) for w in words(name.replace("_", " "))}
    return named | {stem(w) for keyword in keywords for w in content_words(keyword)}


def _described_stems(description: str) -> set[str]:
    return {stem(w) for w in content_words(description)} - _GENERIC
