"""From an escalation decision to the platform actions that carry it out (pure).

`plan_escalation` is called once per episode, when a conversation enters `escalated`:

1. `tag`: `sys_escalation` plus the workspace's `handover.routing_tags` (`{signal}`,
   `{target}`, `{sub_agent}` filled in; a tag whose placeholder has no value is left out);
2. `note`: the internal note (`handover.notes`), carrying a marker to find it again;
3. `assign`: only when the decision has a target with an entry for this platform;
4. `reply`: the sub agent's `handoff_message` (else `handover.handoff_message`), once,
   when `handover.reply_on_escalation` is on and the bot has not already said it;
5. `suspend`: with `escalation.suspend_afterwards` on Zendesk with Sunshine Conversations
   configured: pass control to the agent workspace. The Zendesk client needs the
   conversation's Sunshine id in the target, which the documented ticket webhooks do not
   carry, so today it is recorded as skipped and the `sys_escalation` tag (excluded by the
   bot's triggers) is what suspends the bot. The other platforms suspend through the
   assignment or `should_reply`.

Every action has an idempotency key `<workspace>/<platform>/<conversation>#<episode>/<kind>`:
the outbox stores it under a UNIQUE constraint, so a second plan for the same episode
(a duplicate webhook, a second worker) adds nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.actions import Action, ActionKind
from connectors.model import Platform
from escalation.case import Message, Role
from escalation.decision import Decision, Signal
from escalation.policy import Policy
from handover.notes import compose_note

ESCALATION_TAG = "sys_escalation"
_TAG_UNSAFE = re.compile(r"[^a-z0-9_:-]+")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Situation:
    """The conversation an escalation is about: where it is and what was said."""

    workspace: str
    platform: Platform
    conversation_id: str
    episode: int
    transcript: tuple[Message, ...]


def action_key(situation: Situation, kind: ActionKind) -> str:
    """Return the idempotency key of one kind of action in the situation's episode."""
    where = f"{situation.workspace}/{situation.platform}/{situation.conversation_id}"
    return f"{where}#{situation.episode}/{kind}"


def marker_for(key: str) -> str:
    """Return the short marker a note or reply carries so that it can be found again."""
    return "hnd-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def plan_escalation(situation: Situation, decision: Decision, policy: Policy) -> list[Action]:
    """Return the actions that carry out `decision` (an escalation) on the platform."""
    target = target_entry(policy, decision.target, situation.platform)
    note = compose_note(decision, situation.transcript, policy)
    actions = [
        _action(situation, ActionKind.TAG, tags=escalation_tags(policy, decision)),
        _action(situation, ActionKind.NOTE, text=note.text(), target=target),
    ]
    if target:
        actions.append(_action(situation, ActionKind.ASSIGN, target=target))
    reply = handoff_reply(policy, decision, situation.transcript)
    if reply:
        actions.append(_action(situation, ActionKind.REPLY, text=reply))
    if _suspends_natively(policy, situation.platform):
        actions.append(_action(situation, ActionKind.SUSPEND))
    return actions


def plan_release(situation: Situation, tags: tuple[str, ...]) -> list[Action]:
    """On a hand-back by the team: remove the episode's tags where they keep the bot quiet.

    Only Zendesk needs it (the bot's triggers exclude `sys_escalation`); an Intercom or
    Slack hand-back needs no call.
    """
    if situation.platform is not Platform.ZENDESK or not tags:
        return []
    return [_action(situation, ActionKind.RELEASE, tags=tags)]


def target_entry(policy: Policy, target: str | None, platform: Platform) -> dict[str, Any]:
    """Return the gateway target's entry for `platform` as a plain dict ({} when none)."""
    if target is None or target not in policy.model.gateway.targets:
        return {}
    entry = getattr(policy.model.gateway.targets[target], platform.value, None)
    return entry.model_dump(exclude_none=True) if entry is not None else {}


def escalation_tags(policy: Policy, decision: Decision) -> tuple[str, ...]:
    """Return `sys_escalation` and the workspace's routing tags, filled in and de-duplicated."""
    values = {
        "signal": decision.signal.value if decision.signal else "",
        "target": decision.target or "",
        "sub_agent": decision.sub_agent or "",
    }
    tags = [ESCALATION_TAG]
    for template in policy.model.handover.routing_tags:
        names = _PLACEHOLDER.findall(template)
        if all(values.get(name) for name in names):
            tags.append(_tag(_PLACEHOLDER.sub(lambda m: values[m.group(1)], template)))
    return tuple(dict.fromkeys(tag for tag in tags if tag))


def handoff_reply(policy: Policy, decision: Decision, transcript: Sequence[Message]) -> str | None:
    """Return the public reply to send on escalation, or None.

    None when `handover.reply_on_escalation` is off, or when the bot already told the
    customer it handed over (the decision's signal is `bot_handoff`, or a bot message is
    the reply's text).
    """
    handover = policy.model.handover
    if not handover.reply_on_escalation or decision.signal is Signal.BOT_HANDOFF:
        return None
    agent = policy.sub_agents.get(decision.sub_agent or "")
    text = (agent.handoff_message if agent else None) or handover.handoff_message
    said = {_words(m.text) for m in transcript if m.role is Role.BOT}
    return None if _words(text) in said else text


def _action(situation: Situation, kind: ActionKind, **fields: Any) -> Action:
    key = action_key(situation, kind)
    marker = marker_for(key) if kind in (ActionKind.NOTE, ActionKind.REPLY) else ""
    return Action(
        kind,
        situation.platform,
        situation.conversation_id,
        key,
        marker=marker,
        episode=situation.episode,
        **fields,
    )


def _suspends_natively(policy: Policy, platform: Platform) -> bool:
    if not policy.model.escalation.suspend_afterwards or platform is not Platform.ZENDESK:
        return False
    zendesk = policy.model.platforms.zendesk
    return zendesk is not None and zendesk.sunshine is not None


def _tag(text: str) -> str:
    return _TAG_UNSAFE.sub("_", text.strip().lower()).strip("_")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORDS.findall(text.casefold()))
