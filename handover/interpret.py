"""A stored delivery's raw body to what the worker must do with it (pure, no I/O).

The body is parsed as JSON and handed to the platform's normalizer with the workspace's
identities. A `PayloadInvalid` (or a body that is not a JSON object) becomes a `failed`
outcome naming the JSON path and reason; an unsupported type or an `ignored` event is
`ignored`; an echo of Handoff's own action is `dropped`; anything else is applied.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import PayloadInvalid, UnsupportedEvent
from connectors.intercom import normalize as intercom
from connectors.model import Context, Event, EventKind, Identities, Platform
from connectors.slack import normalize as slack
from connectors.zendesk import normalize as zendesk
from escalation.policy_platforms import PlatformSettings
from handover.models import EventStatus

Normalizer = Callable[[Mapping[str, Any], Context], Event]
NORMALIZERS: dict[Platform, Normalizer] = {
    Platform.ZENDESK: zendesk.normalize,
    Platform.INTERCOM: intercom.normalize,
    Platform.SLACK: slack.normalize,
}


@dataclass(frozen=True)
class Outcome:
    """What to record for an event: its final status, and the event to apply if any."""

    status: EventStatus
    event: Event | None = None
    error_path: str | None = None
    error_reason: str | None = None


def identities(settings: PlatformSettings) -> Identities:
    """Return the normalizers' view of a workspace's ids on one platform."""
    return Identities(
        bot_ids=frozenset(settings.bot_ids),
        self_ids=frozenset(settings.self_ids),
        teammate_ids=frozenset(settings.teammate_ids),
    )


def failed(path: str, reason: str) -> Outcome:
    """Return a `failed` outcome (kept, listed by `handoff events --failed`)."""
    return Outcome(EventStatus.FAILED, error_path=path or "$", error_reason=reason)


def interpret(platform: Platform, body: str | None, ctx: Context) -> Outcome:
    """Parse and normalize one stored body; never raises for a bad payload."""
    if body is None:
        return failed("$", "raw body purged before processing")
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as exc:
        return failed("$", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    if not isinstance(payload, dict):
        return failed("$", f"expected a JSON object, got {type(payload).__name__}")
    try:
        event = NORMALIZERS[platform](payload, ctx)
    except PayloadInvalid as exc:
        return failed(exc.path, exc.reason)
    except UnsupportedEvent as exc:
        return Outcome(EventStatus.IGNORED, error_reason=str(exc))
    return classify(event)


def classify(event: Event) -> Outcome:
    """Return the outcome of a normalized event: dropped echo, ignored, or to apply."""
    if event.from_self:
        return Outcome(EventStatus.DROPPED, event, error_reason="echo of Handoff's own action")
    if event.kind is EventKind.IGNORED:
        return Outcome(EventStatus.IGNORED, event, error_reason=f"{event.event_type} ignored")
    return Outcome(EventStatus.PROCESSED, event=event)
