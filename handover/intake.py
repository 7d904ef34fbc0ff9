"""The durable half of the webhook ack path: store the delivery once.

The web layer calls `receive()` after it verified the signature and read the dedupe id
and event type. One INSERT, committed before the platform gets its 200 (the
UNIQUE(workspace, platform, delivery_id) constraint is the dedupe); no parsing, no queue
and no platform calls. A duplicate is counted and changes nothing. The worker finds the
new `stored` event itself (`maintenance.feed`), so a queue that is down never costs the
platform its answer, and an event stored while no worker runs waits in the store; one
whose job is lost is enqueued again by the sweeper.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors.model import Platform
from handover.models import EventStatus
from handover.observability import EVENTS_DUPLICATE, EVENTS_RECEIVED, get_logger
from handover.store import existing_event_id

if TYPE_CHECKING:
    from handover.runtime import Runtime

KEPT_HEADERS = frozenset(
    {
        "content-type",
        "user-agent",
        "x-zendesk-webhook-id",
        "x-zendesk-webhook-invocation-id",
        "x-zendesk-account-id",
        "x-slack-retry-num",
        "x-slack-retry-reason",
    }
)
"""Headers worth keeping with an event: ids and retry hints, never signatures or auth."""
log = get_logger("intake")


@dataclass(frozen=True)
class Delivery:
    """One verified webhook delivery, as the web layer hands it over."""

    workspace: str
    platform: Platform
    delivery_id: str
    event_type: str
    headers: dict[str, str]
    body: bytes
    received_at: datetime


@dataclass(frozen=True)
class Received:
    """What intake did: the stored event's id and whether the delivery was a duplicate."""

    event_id: int
    duplicate: bool


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return the headers worth storing (lower-cased names); never auth or signatures."""
    return {name.lower(): value for name, value in headers.items() if name.lower() in KEPT_HEADERS}


def receive(runtime: Runtime, delivery: Delivery) -> Received:
    """Store a delivery (once); see the module docstring."""
    platform = delivery.platform.value
    event_id, duplicate = _store(runtime, delivery)
    if duplicate:
        EVENTS_RECEIVED.labels(platform, "duplicate").inc()
        EVENTS_DUPLICATE.labels(platform).inc()
        log.info("event.duplicate", event_id=event_id, **_ids(delivery))
        return Received(event_id, duplicate=True)
    EVENTS_RECEIVED.labels(platform, "stored").inc()
    return Received(event_id, duplicate=False)


def _store(runtime: Runtime, delivery: Delivery) -> tuple[int, bool]:
    """INSERT the event; return its id and whether the delivery was already stored."""
    new_id = runtime.db.store_event(_row(delivery))
    if new_id is not None:
        return new_id, False
    with runtime.db.engine.connect() as connection:  # the stored one is committed: a read
        platform = delivery.platform.value
        found = existing_event_id(connection, delivery.workspace, platform, delivery.delivery_id)
        return found, True


def _row(delivery: Delivery) -> dict[str, Any]:
    """Return the `events` row of a new delivery."""
    return {
        **_ids(delivery),
        "headers": kept_headers(delivery.headers),
        "body": _text(delivery.body),
        "received_at": delivery.received_at,
        "status": EventStatus.STORED.value,
        "attempts": 0,
    }


def _text(body: bytes) -> str:
    """Return the body as text (invalid UTF-8 and NUL, which PostgreSQL refuses, replaced)."""
    return body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _ids(delivery: Delivery) -> dict[str, str]:
    """Return the fields that identify a delivery in logs."""
    return {
        "workspace": delivery.workspace,
        "platform": delivery.platform.value,
        "delivery_id": delivery.delivery_id,
        "event_type": delivery.event_type,
    }
