"""The internal note left for the team when a conversation escalates. Pure: no I/O.

`compose_note` gives a title by signal and ordered `(label, value)` fields: by default Issue,
Signal, Collected and Missing (when any) and Next step; with `escalation.summary`, exactly
the listed built-ins (`BUILT_INS`) and details ("not given" when absent). Values that a
sub agent's `collect` item marks `sensitive` are masked everywhere in the note, also where
the user's words or the evidence quote them (`note_masking`, re-exported here).
Words: `note_templates`, by note language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from escalation.case import Message, Role
from escalation.decision import Decision
from escalation.policy import Policy
from escalation.policy_model import DetailKind, SubAgent
from handover.note_masking import MASK, Masker, mask_collected, mask_text, masker, one_line
from handover.note_templates import GREETINGS, SMALLTALK, TEMPLATES

__all__ = [
    "BUILT_INS",
    "MASK",
    "Note",
    "compose_note",
    "issue_summary",
    "mask_collected",
    "mask_text",
]

BUILT_INS = ("issue", "next_step", "signal", "reason", "evidence", "sub_agent", "target")
_EVIDENCE_LIMIT = 240
_STEP_QUOTE_LIMIT = 100
_ISSUE_MIN_WORDS = 5
_FOLLOW_UP_MIN_WORDS = 3
_SMALLTALK_MAX_CHARS = 80

_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SENTENCE_END = re.compile(r"[.!?…。”»“’]$")
_SMALLTALK = re.compile(rf"^[\W_]*(?:(?:{GREETINGS}|{SMALLTALK})\b[\W_]*)+$", re.IGNORECASE)
_LEADING_GREETING = re.compile(
    rf"^[\W_]*(?:{GREETINGS})\b(?:\s+(?:there|team|all|everyone))?[\s,!.:;—–]+", re.IGNORECASE
)


@dataclass(frozen=True)
class Note:
    """An internal note: a title and ordered `(label, value)` fields, all on one line each."""

    title: str
    fields: tuple[tuple[str, str], ...]

    def text(self) -> str:
        """Plain text, the title then one "Label: value" line per field; what connectors post."""
        return "\n".join([self.title, *(f"{label}: {value}" for label, value in self.fields)])


def compose_note(
    decision: Decision, messages: Sequence[Message], policy: Policy, *, language: str | None = None
) -> Note:
    """The note for a decided conversation, in `language` (default: the workspace's)."""
    ctx = _context(decision, messages, policy, language)
    summary = policy.model.escalation.summary
    values = _built_ins(ctx, with_evidence="evidence" not in summary)
    if summary:
        fields = [_summary_field(ctx, values, name) for name in summary]
    else:
        fields = _default_fields(ctx, values)
    signal = _signal_words(ctx)
    title = ctx.words["title"].format(signal=signal) if signal else ctx.words["title_no_signal"]
    return Note(
        title=ctx.mask(title),
        fields=tuple((label, ctx.mask(one_line(value))) for label, value in fields),
    )


def issue_summary(messages: Sequence[Message], limit: int = 160) -> str:
    """One line: the customer's first substantive request, greetings and small talk skipped.

    A short first request (under five words) takes the next substantive user message too;
    the result is cut at a word boundary with "…" to at most `limit` characters.
    """
    parts: list[str] = []
    for message in messages:
        text = _substance(message.text) if message.role is Role.USER else ""
        if not text or (parts and len(_WORD.findall(text)) < _FOLLOW_UP_MIN_WORDS):
            continue
        parts.append(text)
        if len(_WORD.findall(" ".join(parts))) >= _ISSUE_MIN_WORDS:
            break
    return _trim(" ".join([*map(_as_sentence, parts[:-1]), *parts[-1:]]), limit)


@dataclass(frozen=True)
class _Context:
    """What every field is built from: the decision, its sub agent, the words, masked text."""

    decision: Decision
    policy: Policy
    agent: SubAgent | None
    words: Mapping[str, str]
    mask: Masker
    issue: str
    collected: dict[str, str]

    def quote(self, text: str, limit: int) -> str:
        """Someone's own words, masked, on one line, trimmed and in the language's quotes."""
        return self.words["quote"].format(text=_trim(self.mask(one_line(text)), limit))

    def evidence(self, limit: int = _EVIDENCE_LIMIT) -> str | None:
        """The decision's evidence, quoted, or None."""
        evidence = self.decision.evidence
        return self.quote(evidence, limit) if evidence and evidence.strip() else None


def _context(
    decision: Decision, messages: Sequence[Message], policy: Policy, language: str | None
) -> _Context:
    agent = policy.sub_agents.get(decision.sub_agent or "")
    mask = masker(decision.collected, policy, agent)
    users = [Message(m.role, mask(one_line(m.text))) for m in messages if m.role is Role.USER]
    words = _templates(language or policy.model.handover.note_language)
    collected = mask_collected(decision.collected, policy, decision.sub_agent)
    return _Context(decision, policy, agent, words, mask, issue_summary(users), collected)


def _built_ins(ctx: _Context, *, with_evidence: bool) -> dict[str, str]:
    """Every built-in field's value; `signal` quotes the evidence unless listed apart."""
    decision, not_given = ctx.decision, ctx.words["not_given"]
    signal = _signal_words(ctx) or not_given
    evidence = ctx.evidence()
    return {
        "issue": ctx.issue or not_given,
        "next_step": _next_step(ctx),
        "signal": f"{signal} — {evidence}" if evidence and with_evidence else signal,
        "reason": decision.reason or not_given,
        "evidence": evidence or not_given,
        "sub_agent": decision.sub_agent or not_given,
        "target": decision.target or not_given,
    }


def _signal_words(ctx: _Context) -> str | None:
    signal, sub_agent = ctx.decision.signal, _human(ctx.decision.sub_agent or "")
    return one_line(ctx.words[f"signal_{signal}"].format(sub_agent=sub_agent)) if signal else None


def _default_fields(ctx: _Context, values: Mapping[str, str]) -> list[tuple[str, str]]:
    words, missing = ctx.words, ctx.decision.missing
    pairs = "; ".join(f"{_human(name)}: {value}" for name, value in ctx.collected.items())
    fields = [(words["label_issue"], values["issue"]), (words["label_signal"], values["signal"])]
    fields += [(words["label_collected"], pairs)] if pairs else []
    fields += [(words["label_missing"], ", ".join(map(_human, missing)))] if missing else []
    return [*fields, (words["label_next_step"], values["next_step"])]


def _summary_field(ctx: _Context, values: Mapping[str, str], name: str) -> tuple[str, str]:
    """A built-in, unless the sub agent collects a detail of that name; else a detail."""
    details = {item.name for item in ctx.agent.collect} if ctx.agent else set()
    if name in BUILT_INS and name not in details:
        return ctx.words[f"label_{name}"], values[name]
    label = _human(name)
    return label[:1].upper() + label[1:], ctx.collected.get(name) or ctx.words["not_given"]


def _next_step(ctx: _Context) -> str:
    """The sub agent's `next_step` template filled in, else a general sentence by signal."""
    template = ctx.agent.next_step if ctx.agent else None
    if template:
        not_given = ctx.words["not_given"]
        step = _as_sentence(
            _PLACEHOLDER.sub(lambda m: ctx.collected.get(m[1], not_given), template)
        )
    else:
        step = _general_step(ctx)
    if ctx.decision.missing:
        missing = _join_list([_human(name) for name in ctx.decision.missing], ctx.words["and"])
        step = f"{step} {ctx.words['ask_missing'].format(missing=missing)}"
    return step


def _general_step(ctx: _Context) -> str:
    words, decision = ctx.words, ctx.decision
    key = f"next_{decision.signal.value}" if decision.signal else "next_none"
    matter = _rule_matter(ctx) if key == "next_rule" else None
    key = "next_rule_general" if key == "next_rule" and matter is None else key
    issue = ctx.quote(ctx.issue, _STEP_QUOTE_LIMIT) if ctx.issue else words["their_request"]
    sentence = words[key].format(
        issue=issue,
        evidence=ctx.evidence(_STEP_QUOTE_LIMIT) or issue,
        matter=matter,
        sub_agent=_human(decision.sub_agent or "") or words["their_request"],
    )
    email = _collected_email(ctx)
    return _as_sentence(sentence + (words["and_email"].format(email=email) if email else ""))


def _rule_matter(ctx: _Context) -> str | None:
    """What an always-escalate rule is about: the rule topic the reason names, or sub agent."""
    said = {word.lower() for word in _WORD.findall(ctx.decision.reason)}
    for topic in ctx.policy.model.escalation.always_topics:
        if topic.lower() in said:
            return _human(topic)
    return _human(ctx.decision.sub_agent) if ctx.decision.sub_agent else None


def _collected_email(ctx: _Context) -> str | None:
    """The (masked) email address the user gave: an `email` detail, else one named email."""
    for item in ctx.agent.collect if ctx.agent else ():
        if item.kind is DetailKind.EMAIL and item.name in ctx.collected:
            return ctx.collected[item.name]
    return ctx.collected.get("email")


def _templates(language: str) -> Mapping[str, str]:
    """The words of a note language; "pt-BR" or "EN" read as "pt" and "en"."""
    code = language.strip().lower().replace("_", "-").partition("-")[0]
    if code not in TEMPLATES:
        raise ValueError(f"note language {language!r} is not one of {', '.join(TEMPLATES)}")
    return TEMPLATES[code]


def _substance(text: str) -> str:
    """A user message without a leading greeting; empty when it is only small talk."""
    line = one_line(text)
    if len(line) <= _SMALLTALK_MAX_CHARS and _SMALLTALK.match(line):
        return ""
    return _LEADING_GREETING.sub("", line, count=1).strip() or line


def _trim(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:.-–—") + "…"


def _as_sentence(text: str) -> str:
    text = text.strip()
    return text if not text or _SENTENCE_END.search(text) else text + "."


def _human(name: str) -> str:
    return name.replace("_", " ")


def _join_list(items: Sequence[str], conjunction: str) -> str:
    head, last = items[:-1], items[-1:]
    return f"{', '.join(head)} {conjunction} {last[0]}" if head else "".join(last)
