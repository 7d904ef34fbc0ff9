"""`receive()`: one INSERT; duplicates are no-ops; `feed` and `sweep` get every stored event
to the queue exactly once per period, and a dead queue loses nothing."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from handover import jobs, maintenance, worker
from handover.intake import kept_headers, receive
from handover.models import EventStatus, StoredEvent, utcnow
from handover.runtime import Runtime
from tests.intake import helpers
from tests.intake.backends import delivery, fixture_body, wait_for
from tests.intake.helpers import queue_down

SLACK = fixture_body("slack", "message.channels")


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_delivery_is_stored_then_fed_to_the_queue_once(runtime: Runtime) -> None:
    signed = delivery(
        "slack",
        SLACK,
        headers={"X-Slack-Signature": "v0=secret", "X-Slack-Retry-Num": "1", "Cookie": "c"},
    )
    before = counter("handoff_events_received_total", platform="slack", outcome="stored")
    received = receive(runtime, signed)
    assert received.duplicate is False
    assert helpers.pending(runtime) == 0  # intake only stores
    stored = helpers.event(runtime, received.event_id)
    assert (stored.status, stored.swept_at) == (EventStatus.STORED, None)
    assert (stored.workspace, stored.platform) == ("acme", "slack")
    assert (stored.delivery_id, stored.event_type) == ("Ev07QXA1B2C3", "message.channels")
    assert stored.body == SLACK.decode()
    assert stored.received_at == signed.received_at
    assert stored.headers == {"x-slack-retry-num": "1"}
    after = counter("handoff_events_received_total", platform="slack", outcome="stored")
    assert after == before + 1

    assert maintenance.feed(runtime) == 1
    assert helpers.pending(runtime) == 1
    assert helpers.event(runtime, received.event_id).swept_at is not None  # claimed
    assert maintenance.feed(runtime) == 0  # never twice
    assert maintenance.sweep(runtime) == 0  # not due: it was enqueued just now
    assert helpers.pending(runtime) == 1


def test_feed_takes_the_oldest_first_and_holds_back_when_the_queue_is_long(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    ids = [
        receive(
            runtime,
            delivery(
                "slack",
                SLACK.replace(b"Ev07QXA1B2C3", f"Ev{n}".encode()),
                received_at=now - timedelta(seconds=n),
            ),
        ).event_id
        for n in range(5)
    ]
    monkeypatch.setattr(maintenance, "FEED_BACKLOG", 2)
    assert maintenance.feed(runtime) == 2
    assert maintenance.feed(runtime) == 0  # two jobs wait: the others stay in the store
    claimed = [helpers.event(runtime, i).swept_at is not None for i in ids]
    assert claimed == [False, False, False, True, True]  # ids[4] is the oldest
    runtime.huey.flush()
    monkeypatch.setattr(maintenance, "FEED_BATCH", 2)
    assert maintenance.feed(runtime) == 2
    assert helpers.event(runtime, ids[2]).swept_at is not None


def test_signatures_and_credentials_are_never_kept() -> None:
    headers = {
        "Authorization": "Bearer t",
        "X-Hub-Signature": "sha1=0",
        "X-Zendesk-Webhook-Signature": "x",
        "X-Zendesk-Webhook-Invocation-Id": "42",
        "X-Slack-Signature": "v0=1",
        "Content-Type": "application/json",
    }
    assert kept_headers(headers) == {
        "x-zendesk-webhook-invocation-id": "42",
        "content-type": "application/json",
    }


def test_a_duplicate_delivery_is_a_counted_no_op(runtime: Runtime) -> None:
    first = receive(runtime, delivery("slack", SLACK))
    before = counter("handoff_events_duplicate_total", platform="slack")
    again = receive(runtime, delivery("slack", SLACK, headers={"X-Slack-Retry-Num": "2"}))
    assert again.event_id == first.event_id
    assert again.duplicate is True
    assert helpers.count(runtime, StoredEvent) == 1
    assert maintenance.feed(runtime) == 1
    assert helpers.event(runtime, first.event_id).headers == {"content-type": "application/json"}
    assert counter("handoff_events_duplicate_total", platform="slack") == before + 1


def test_the_same_delivery_id_in_another_workspace_is_another_event(runtime: Runtime) -> None:
    first = receive(runtime, delivery("slack", SLACK))
    other = receive(runtime, delivery("slack", SLACK, workspace="globex"))
    assert other.event_id != first.event_id and not other.duplicate


def test_queue_down_intake_still_stores_and_answers_and_nothing_is_claimed(
    runtime: Runtime,
) -> None:
    with queue_down(runtime):
        start = time.perf_counter()
        received = receive(runtime, delivery("slack", SLACK))
        elapsed = time.perf_counter() - start
        with pytest.raises(Exception):  # noqa: B017 - sqlite3 or redis errors alike
            maintenance.feed(runtime)
    assert received.duplicate is False
    assert elapsed < 1.0  # a dead queue must not hold the platform's answer
    stored = helpers.event(runtime, received.event_id)
    assert (stored.status, stored.swept_at) == (EventStatus.STORED, None)  # not claimed
    assert maintenance.feed(runtime) == 1  # the queue is back
    task = runtime.huey.dequeue()
    runtime.huey.execute(task)
    assert helpers.event(runtime, received.event_id).status == EventStatus.PROCESSED


def test_an_enqueue_that_fails_after_the_claim_is_swept_later_and_processed_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = receive(runtime, delivery("slack", SLACK))
    before = counter("handoff_events_enqueue_failed_total")
    with queue_down(runtime):
        monkeypatch.setattr(runtime.huey, "pending_count", lambda: 0)  # died after this
        assert maintenance.feed(runtime) == 0
        monkeypatch.undo()
        assert counter("handoff_events_enqueue_failed_total") == before + 1
        assert maintenance.sweep(runtime, now=utcnow() + timedelta(seconds=2)) == 0  # still down
    assert counter("handoff_events_enqueue_failed_total") == before + 2
    assert maintenance.feed(runtime) == 0  # claimed: waits for the sweeper
    assert maintenance.sweep(runtime) == 0  # not due yet: sweep_after_seconds is 1
    later = utcnow() + timedelta(seconds=5)
    assert maintenance.sweep(runtime, now=later) == 1
    assert maintenance.sweep(runtime, now=later) == 0  # claimed for this period
    assert helpers.pending(runtime) == 1
    task = runtime.huey.dequeue()
    runtime.huey.execute(task)
    stored = helpers.event(runtime, received.event_id)
    assert (stored.status, stored.attempts) == (EventStatus.PROCESSED, 1)
    assert helpers.count(runtime, helpers.StoredMessage) == 1
    assert jobs.process_event(runtime, received.event_id) is None  # a second job: no-op


def test_the_feeder_thread_feeds_new_events_and_outlives_a_queue_outage(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "FEED_RETRY_DELAY", 0.05)
    with queue_down(runtime), capture_logs() as logs:
        feeder = worker.Feeder(runtime).start()
        try:
            received = receive(runtime, delivery("slack", SLACK))
            wait_for(lambda: any(line["event"] == "feed.failed" for line in logs))
            time.sleep(0.2)
            assert helpers.event(runtime, received.event_id).swept_at is None
        except BaseException:
            feeder.stop()
            raise
    try:
        wait_for(lambda: helpers.pending(runtime) == 1)
    finally:
        feeder.stop()
    assert helpers.event(runtime, received.event_id).swept_at is not None


def measure_receive(runtime: Runtime, batch: int, count: int = 200) -> tuple[float, float]:
    """Receive `count` new deliveries; return the median and p99 time of `receive()`."""
    body = SLACK.decode()
    timings = []
    for number in range(count):
        changed = body.replace("Ev07QXA1B2C3", f"EvBench{batch}-{number:04d}").encode()
        start = time.perf_counter()
        receive(runtime, delivery("slack", changed))
        timings.append(time.perf_counter() - start)
    timings.sort()
    return statistics.median(timings), timings[int(count * 0.99) - 1]


def test_receive_is_fast(runtime: Runtime) -> None:
    """The ack path's durable part: p99 within the 25 ms budget of the whole request.

    A busy machine only ever slows a batch down, so up to five batches are measured
    and one must meet the budget; a real regression misses it in all five.
    """
    measure_receive(runtime, batch=0, count=20)  # warm up connections and caches
    results = []
    for batch in range(1, 6):
        results.append(measure_receive(runtime, batch))
        if results[-1][1] < 0.025:
            break
    engine = runtime.db.engine.dialect.name
    shown = ", ".join(f"p50 {p50 * 1e3:.2f} ms p99 {p99 * 1e3:.2f} ms" for p50, p99 in results)
    print(f"\nreceive() on {engine}: {shown}")
    assert helpers.count(runtime, StoredEvent) == 20 + 200 * len(results)
    assert results[-1][1] < 0.025, shown
