"""Feeding recorded (or edited) webhook bodies through intake and the worker in tests."""

from __future__ import annotations

import copy
import json
from typing import Any

from handover import jobs
from handover.intake import receive
from handover.models import EventStatus
from handover.runtime import Runtime
from tests.intake.backends import delivery, fixture_body


def body(platform: str, name: str) -> dict[str, Any]:
    """A recorded body, parsed (a fresh copy to edit)."""
    parsed: dict[str, Any] = json.loads(fixture_body(platform, name))
    return copy.deepcopy(parsed)


def ingest(runtime: Runtime, platform: str, payload: bytes | dict[str, Any], **changes: Any) -> int:
    """Receive a body (as the web layer would); return the stored event id."""
    return receive(runtime, delivery(platform, payload, **changes)).event_id


def process(
    runtime: Runtime, platform: str, payload: bytes | dict[str, Any], **changes: Any
) -> EventStatus | None:
    """Receive a body and run the worker's job on it directly; return the event's status."""
    return jobs.process_event(runtime, ingest(runtime, platform, payload, **changes))


def replay(runtime: Runtime, platform: str, *names: str) -> list[EventStatus | None]:
    """Receive and process recorded bodies in this order."""
    return [process(runtime, platform, fixture_body(platform, name)) for name in names]


def intercom_reply(part_id: str, text: str, at: int, notification: str) -> dict[str, Any]:
    """An Intercom `conversation.user.replied` with one new customer part."""
    payload = body("intercom", "conversation.user.replied")
    part = payload["data"]["item"]["conversation_parts"]["conversation_parts"][0]
    part.update({"id": part_id, "body": f"<p>{text}</p>", "created_at": at, "updated_at": at})
    payload.update({"id": notification, "created_at": at + 1})
    return payload


def slack_message(ts: str, text: str, event_id: str, **fields: Any) -> dict[str, Any]:
    """A Slack thread reply by the customer in the recorded thread (`ts` is its time)."""
    payload = body("slack", "message.channels")
    event = payload["event"]
    event.update({"ts": ts, "event_ts": ts, "text": text, "thread_ts": "1717000000.123400"})
    event.update(fields)
    payload.update({"event_id": event_id, "event_time": int(float(ts))})
    return payload


def zendesk_comment(comment_id: int, text: str, at: str, event_id: str) -> dict[str, Any]:
    """A Zendesk `ticket.comment_added` by the customer on the recorded ticket at `at`."""
    payload = body("zendesk", "ticket.comment_added")
    payload["event"]["comment"].update({"id": comment_id, "body": text})
    payload.update({"id": event_id, "time": at})
    return payload
