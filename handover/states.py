"""The conversation state machine (pure): one set of names for store, state API and console.

```
bot ──pending──▶ collecting ──escalate──▶ escalated ──agent replies──▶ with_team
 ▲                                                                        │
 └──────────── hand-back (solved / closed): new episode ◀─────────────────┘
```

An escalation fires once per episode: in `escalated` and `with_team` the detector's
decisions are recorded but change nothing. A human agent's reply moves any earlier state
to `with_team`, even without Handoff's escalation; so does a teammate taking it (Slack's
"Take it" button). `collecting` falls back to `bot` when the detector no longer sees a
reason to hand over. `should_reply` is what the state API tells the bot.
"""

from __future__ import annotations

from enum import StrEnum

from escalation.decision import Status


class State(StrEnum):
    """Where a conversation is in its current episode."""

    BOT = "bot"
    COLLECTING = "collecting"
    ESCALATED = "escalated"
    WITH_TEAM = "with_team"


class Cause(StrEnum):
    """What produced a stored decision row."""

    DETECTION = "detection"
    AGENT_REPLY = "agent_reply"
    TAKEN = "taken"
    HAND_BACK = "hand_back"


_AFTER_DETECTION: dict[tuple[State, Status], State] = {
    (State.BOT, Status.PENDING): State.COLLECTING,
    (State.BOT, Status.ESCALATE): State.ESCALATED,
    (State.COLLECTING, Status.ESCALATE): State.ESCALATED,
    (State.COLLECTING, Status.NONE): State.BOT,
}


def after_detection(state: State, status: Status) -> State:
    """Return the state after a detector decision (unchanged unless the table says so)."""
    return _AFTER_DETECTION.get((state, status), state)


def after_agent_reply(state: State) -> State:
    """Return the state after a human agent's public reply: always `with_team`."""
    del state
    return State.WITH_TEAM


def after_hand_back(state: State) -> State:
    """Return the state after the conversation was solved or closed: `bot` again."""
    del state
    return State.BOT


def should_reply(state: State, suspend_afterwards: bool) -> bool:
    """Tell whether the bot may reply: never `with_team`; not `escalated` when suspending."""
    if state is State.WITH_TEAM:
        return False
    return not (state is State.ESCALATED and suspend_afterwards)
