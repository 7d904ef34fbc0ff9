"""A queue (or database) outage: the worker's loops back off and log a few lines, not a flood.

No test sleeps: a `FakeTime` is both the clock the outage logs by and the stop flag the
loops wait on, so every wait is recorded and moves the clock instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from structlog.testing import capture_logs

from handover import maintenance, worker
from handover.runtime import Backoff, Outage, Runtime, describe, url_passwords
from tests.intake import helpers
from tests.intake.backends import fixture_body
from tests.intake.flow import ingest
from tests.intake.helpers import queue_down

PASSWORD = "hunter2"
DOWN = f"Error 111 connecting to redis://:{PASSWORD}@10.0.0.7:6379/0. Connection refused."
CAPPED = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0, 30.0, 30.0]
"""The waits after 12 failures in a row: doubled from 0.5 s, at most 30 s."""


@dataclass
class FakeTime:
    """A monotonic clock and a stop flag in one: `wait` records the wait and moves the clock."""

    now: float = 1000.0
    waits: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(round(seconds, 3))
        self.now += seconds
        return False

    def is_set(self) -> bool:
        return False


class FlakyQueue:
    """A huey stand-in whose reads and writes fail `failures` times, then work (empty queue)."""

    immediate = False

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.enqueued: list[Any] = []
        self.storage = type("Storage", (), {"blocking": True})()

    def _touch(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise redis.ConnectionError(DOWN)

    def dequeue(self) -> None:
        self._touch()

    def read_schedule(self, now: Any = None) -> list[Any]:
        self._touch()
        return []

    def read_periodic(self, now: Any = None) -> list[str]:
        return ["sweep"]

    def enqueue(self, task: Any) -> None:
        self._touch()
        self.enqueued.append(task)


def outage_lines(logs: Sequence[Mapping[str, Any]], name: str) -> list[str]:
    """The outage log lines of one `Outage` (`feed` or `queue`), as `level event`."""
    events = {f"{name}.{what}" for what in ("failed", "still_failing", "recovered")}
    return [f"{e['log_level']} {e['event']}" for e in logs if e["event"] in events]


def test_the_feeder_backs_off_to_30_s_and_logs_start_reminders_and_recovery(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    event_id = ingest(runtime, "slack", fixture_body("slack", "message.im"))
    queue = FlakyQueue(failures=12)
    real_pending_count = runtime.huey.pending_count

    def pending_count() -> int:
        queue.dequeue()  # fails 12 times, then the real queue answers
        return int(real_pending_count())

    monkeypatch.setattr(runtime.huey, "pending_count", pending_count)
    clock = FakeTime()
    feeder = worker.Feeder(runtime, clock=clock)
    with capture_logs() as logs:
        for _ in range(13):
            clock.wait(feeder.step())
    assert clock.waits == [*CAPPED, worker.FEED_INTERVAL]
    assert helpers.pending(runtime) == 1  # fed once the queue answered
    assert helpers.event(runtime, event_id).swept_at is not None
    # Failures at t = 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 61.5, 91.5, 121.5, 151.5, 181.5:
    # reminders at 61.5, 121.5 and 181.5 (at most one a minute), recovered at 211.5.
    assert outage_lines(logs, "feed") == [
        "warning feed.failed",
        "warning feed.still_failing",
        "warning feed.still_failing",
        "warning feed.still_failing",
        "info feed.recovered",
    ]
    [recovered] = [e for e in logs if e["event"] == "feed.recovered"]
    assert (recovered["failures"], recovered["seconds"]) == (12, 211.5)
    assert PASSWORD not in repr(logs) and "redis://***@10.0.0.7" in repr(logs)


def test_after_recovery_the_next_outage_starts_again_at_the_first_delay(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeTime()
    feeder = worker.Feeder(runtime, clock=clock)
    outcomes: Iterator[int | Exception] = iter(
        [RuntimeError("db down"), RuntimeError("db down"), 0, RuntimeError("again")]
    )

    def feed(_: Runtime) -> int:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(maintenance, "feed", feed)
    with capture_logs() as logs:
        waits = [feeder.step() for _ in range(4)]
    assert waits == [0.5, 1.0, worker.FEED_INTERVAL, 0.5]
    assert outage_lines(logs, "feed") == [
        "warning feed.failed",
        "info feed.recovered",
        "warning feed.failed",
    ]


def test_a_full_batch_is_followed_at_once_by_the_next_look(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(maintenance, "feed", lambda _: maintenance.FEED_BATCH)
    assert worker.Feeder(runtime).step() == 0.0


def test_the_consumer_workers_back_off_and_share_one_outage_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeTime()
    queue = FlakyQueue(failures=20)
    consumer = worker.Consumer(queue, Outage("queue", clock=clock), **worker.consumer_options(2))
    loops = [impl for impl, _ in consumer.worker_threads]
    for loop in loops:
        loop.stop_flag = clock
    with capture_logs() as logs, caplog.at_level(logging.DEBUG, logger="huey"):
        for _ in range(11):  # 20 failures over two workers, then one good read each
            for loop in loops:
                loop.loop()
    assert clock.waits == [d for delay in CAPPED[:10] for d in (delay, delay)]
    # Both workers' waits add up on the one fake clock: failures at t = 0, 0.5, 1, 2, 3,
    # 5, 7, 11, 15, 23, 31, 47, 63, 93, 123, 153, 183, 213, 243, 273; one warning, then a
    # reminder at most once a minute (63, 123, 183, 243), one line on recovery.
    assert outage_lines(logs, "queue") == [
        "warning queue.failed",
        *["warning queue.still_failing"] * 4,
        "info queue.recovered",
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # no huey tracebacks


def test_the_scheduler_backs_off_then_enqueues_the_periodic_jobs() -> None:
    clock = FakeTime()
    queue = FlakyQueue(failures=3)
    consumer = worker.Consumer(queue, Outage("queue", clock=clock), **worker.consumer_options(1))
    loop = consumer._create_scheduler()
    assert isinstance(loop, worker.QueueScheduler)
    loop.stop_flag = clock
    with capture_logs() as logs:
        for _ in range(4):
            loop.loop()
    assert clock.waits[:3] == [0.5, 1.0, 2.0]
    assert 0 < clock.waits[3] <= 1.0  # back to the scheduler's one-second tick
    assert queue.enqueued == ["sweep"]
    assert outage_lines(logs, "queue") == ["warning queue.failed", "info queue.recovered"]


def test_a_real_queue_outage_is_one_warning_then_one_recovery(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeTime()
    consumer = worker.make_consumer(runtime, workers=1, clock=clock)
    [(loop, _)] = consumer.worker_threads
    loop.stop_flag = clock
    with capture_logs() as logs, caplog.at_level(logging.DEBUG, logger="huey"):
        with queue_down(runtime):
            for _ in range(5):
                loop.loop()
        runtime.tasks.process_event(404)  # a job waits: the read after recovery returns at once
        loop.loop()
    assert clock.waits[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert outage_lines(logs, "queue") == ["warning queue.failed", "info queue.recovered"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_error_texts_never_carry_passwords() -> None:
    error = ConnectionError("AUTH failed for redis://app:s3cr%40t@cache:6379/0 (s3cr@t)")
    text = describe(error, url_passwords("redis://app:s3cr%40t@cache:6379/0"))
    assert text == "ConnectionError: AUTH failed for redis://***@cache:6379/0 (***)"
    assert url_passwords(None, "sqlite:///var/handoff.db", "redis://h/0?password=p") == ("p",)
    assert len(describe(RuntimeError("x" * 1000))) == len("RuntimeError: ") + 300


def test_backoff_doubles_up_to_its_cap_and_resets_on_success() -> None:
    retry = Backoff(Outage("test", clock=FakeTime()), initial=1.0, cap=5.0)
    assert [retry.failed(RuntimeError()) for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert retry.outage.failing
    retry.succeeded()
    assert not retry.outage.failing and retry.failed(RuntimeError()) == 1.0
