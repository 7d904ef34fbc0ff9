"""The offline `rules` detector: deterministic, no network, no model download.

`RulesDetector(policy).decide(case)` reads the episode in four passes — the user's
request (`signals.read_user_request`), the bot's handoff (`signals.read_bot_handoff`),
the subject (`subject.read_subject`: topic, always-topic rule, scope) and the sub
agent's required details (`details.collect_details`) — then `_conclude` applies the
contract: strongest signal first, `pending` while required details are missing,
`none` once a human teammate has replied or when narrowing filters the topic out.
Every decision's `reason` comes from `explain.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from escalation import explain
from escalation.case import Case, CaseInvalid, Role
from escalation.decision import SIGNAL_PRIORITY, Decision, Signal, Status
from escalation.details import DetailState, collect_details
from escalation.phrasebook import PhraseBook, build_phrasebook
from escalation.policy import Policy
from escalation.policy_model import HandoffMode
from escalation.signals import Evidence, read_bot_handoff, read_user_request
from escalation.subject import Subject, read_subject
from escalation.text import conversation_languages
from escalation.topics import TopicIndex


@dataclass(frozen=True)
class _Reading:
    """Everything the passes found in one case."""

    case: Case
    subject: Subject
    sub_agent: str | None
    signals: dict[Signal, Evidence]
    details: DetailState | None


class RulesDetector:
    """Phrase families, topic words and detail patterns; the default detector."""

    name = "rules"

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.book: PhraseBook = build_phrasebook(policy.model.escalation.phrases)
        self.index = TopicIndex(policy.model)
        self._handoff_messages = {
            name: agent.handoff_message
            for name, agent in policy.sub_agents.items()
            if agent.handoff_message
        }

    def decide(self, case: Case) -> Decision:
        """Decide one case; raise `CaseInvalid` when it names an undefined sub agent."""
        if case.sub_agent is not None and case.sub_agent not in self.policy.sub_agents:
            defined = ", ".join(sorted(self.policy.sub_agents)) or "none"
            raise CaseInvalid(
                f"sub_agent: '{case.sub_agent}' is not defined in workspace "
                f"'{self.policy.name}' (defined: {defined})",
                case.id,
            )
        return self._conclude(self._read(case))

    def _read(self, case: Case) -> _Reading:
        messages = case.messages
        languages = conversation_languages([m.text for m in messages])
        subject = read_subject(messages, self.policy, self.index, self.book, languages)
        bot = read_bot_handoff(messages, self.book, self._handoff_messages, languages)
        sub_agent = case.sub_agent or _own_message_agent(bot) or self._agent_for(subject.topic)
        signals: dict[Signal, Evidence] = {}
        user = read_user_request(messages, self.book, languages)
        for signal, evidence in (
            (Signal.USER_REQUEST, user),
            (Signal.BOT_HANDOFF, bot),
            (Signal.RULE, subject.rule),
            (Signal.OUT_OF_SCOPE, subject.out_of_scope),
        ):
            if evidence is not None:
                signals[signal] = evidence
        details = self._details(sub_agent, case)
        workflow = self._workflow_evidence(sub_agent, subject, details)
        if workflow is not None:
            signals[Signal.WORKFLOW] = workflow
        return _Reading(case, subject, sub_agent, signals, details)

    def _agent_for(self, topic: str | None) -> str | None:
        return self.policy.sub_agent_by_topic.get(topic) if topic else None

    def _details(self, sub_agent: str | None, case: Case) -> DetailState | None:
        if sub_agent is None:
            return None
        return collect_details(self.policy.sub_agents[sub_agent], case.messages)

    def _workflow_evidence(
        self, sub_agent: str | None, subject: Subject, details: DetailState | None
    ) -> Evidence | None:
        if sub_agent is None or details is None:
            return None
        agent = self.policy.sub_agents[sub_agent]
        if agent.handoff is not HandoffMode.COLLECTED:
            return None
        asked = [subject.requested[t] for t in agent.topics if t in subject.requested]
        if asked:
            return Evidence("workflow", asked[0].message_index, asked[0].quote, sub_agent)
        if details.asked:
            return Evidence("workflow", -1, "", sub_agent)
        return None

    def _conclude(self, reading: _Reading) -> Decision:
        if any(m.role is Role.AGENT for m in reading.case.messages):
            return _none(reading, explain.WITH_TEAM)
        if self._filtered_out(reading):
            return _none(reading, explain.narrowed(self.policy.narrowing, reading.subject.topic))
        signals = {s: e for s, e in reading.signals.items() if self._allowed(s)}
        if not signals:
            return _none(reading, explain.NOTHING)
        signal = next(s for s in SIGNAL_PRIORITY if s in signals)
        evidence = signals[signal]
        missing = reading.details.missing if reading.details else ()
        pending = bool(missing) and not _overrides_details(evidence)
        status = Status.PENDING if pending else Status.ESCALATE
        return Decision(
            id=reading.case.id,
            status=status,
            signal=signal,
            sub_agent=reading.sub_agent,
            target=self.policy.target_for(reading.sub_agent),
            reason=explain.reason(signal, evidence, status, reading.sub_agent, missing),
            evidence=evidence.quote or None,
            missing=missing if pending else (),
            collected=_collected(reading),
        )

    def _filtered_out(self, reading: _Reading) -> bool:
        """Narrowing keeps only its topics; a "never" instruction drops its topics."""
        narrowing = self.policy.narrowing
        topics = {reading.subject.topic} if reading.subject.topic else set()
        if reading.sub_agent is not None:
            topics |= set(self.policy.sub_agents[reading.sub_agent].topics)
        if reading.subject.topic in narrowing.excluded:
            return True
        return bool(narrowing.topics) and not topics & set(narrowing.topics)

    def _allowed(self, signal: Signal) -> bool:
        """Narrowing turns the out-of-scope signal off."""
        return not (signal is Signal.OUT_OF_SCOPE and self.policy.narrowing.topics)


def _none(reading: _Reading, reason: str) -> Decision:
    return Decision(
        id=reading.case.id,
        status=Status.NONE,
        signal=None,
        sub_agent=reading.sub_agent,
        target=None,
        reason=reason,
        collected=_collected(reading),
    )


def _collected(reading: _Reading) -> dict[str, str]:
    return dict(reading.details.collected) if reading.details else {}


def _overrides_details(evidence: Evidence) -> bool:
    """Signals that hand over even while required details are missing.

    The sub agent's own handoff message completes the workflow by the bot's own account;
    a bot that does not understand the user cannot collect the details either.
    """
    return evidence.kind in ("handoff_message", "bot_not_understood")


def _own_message_agent(evidence: Evidence | None) -> str | None:
    if evidence is None or evidence.kind != "handoff_message":
        return None
    return evidence.subject
