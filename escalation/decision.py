"""The decision shape fixed by the detection contract (`shared/contract/decision.schema.json`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """What to do with the conversation after its last message."""

    ESCALATE = "escalate"
    PENDING = "pending"
    NONE = "none"


class Signal(StrEnum):
    """Why a conversation escalates (or would), strongest first in `SIGNAL_PRIORITY`."""

    USER_REQUEST = "user_request"
    BOT_HANDOFF = "bot_handoff"
    RULE = "rule"
    OUT_OF_SCOPE = "out_of_scope"
    WORKFLOW = "workflow"


SIGNAL_PRIORITY: tuple[Signal, ...] = (
    Signal.USER_REQUEST,
    Signal.BOT_HANDOFF,
    Signal.RULE,
    Signal.OUT_OF_SCOPE,
    Signal.WORKFLOW,
)


@dataclass(frozen=True)
class Decision:
    """One decided case: the contract's output line."""

    id: str | None
    status: Status
    signal: Signal | None
    sub_agent: str | None
    target: str | None
    reason: str
    evidence: str | None = None
    missing: tuple[str, ...] = ()
    collected: dict[str, str] = field(default_factory=dict)

    @property
    def escalate(self) -> bool:
        """True exactly when the status is `escalate`."""
        return self.status is Status.ESCALATE

    def to_json(self) -> dict[str, Any]:
        """The decision as the contract's JSON object, keys in the documented order."""
        return {
            "id": self.id,
            "status": self.status.value,
            "escalate": self.escalate,
            "signal": self.signal.value if self.signal else None,
            "sub_agent": self.sub_agent,
            "missing": list(self.missing),
            "collected": dict(self.collected),
            "target": self.target,
            "reason": self.reason,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class CaseError:
    """A case line that could not be decided: the contract's `{"id", "error"}` line."""

    id: str | None
    error: str

    def to_json(self) -> dict[str, Any]:
        """The error as the contract's JSON object."""
        return {"id": self.id, "error": self.error}
