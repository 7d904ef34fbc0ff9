"""Running the huey consumer: `handoff worker` in the foreground, or embedded in `handoff serve`.

Workers are threads (`process_event` waits on the database, not the CPU). Beside them, a
`Feeder` thread looks for newly stored events every `FEED_INTERVAL` seconds (at once again
after a full batch) and enqueues them (`maintenance.feed`): intake only stores, so the
worker is woken by the stored events themselves. The scheduler runs the periodic `sweep`
(every minute, and once as the consumer starts, so events left `stored` by a dead worker
are picked up on restart), `purge` (hourly) and `pending_fallback` (every minute); the
feeder also hands due outbox actions to the queue (`outbox.feed`, `run_action` jobs).
`start_embedded` runs the same consumer on background threads of `handoff serve`. huey
polls the SQLite queue with a back-off capped at `MAX_POLL_DELAY` seconds (its default
cap of 10 s would delay the first event after a quiet spell); Redis blocks on the queue
instead.

While the queue is down (or, for the feeder, the database), every loop waits with an
exponential back-off up to `runtime.BACKOFF_MAX` seconds instead of retrying at its
polling pace, and logs through an `Outage` (one per feeder, one shared by the consumer's
workers and scheduler): one warning when the failures start (`feed.failed`,
`queue.failed`), a reminder at most once a minute (`*.still_failing`), and one info line
when it recovers (`*.recovered`) — not one error per poll.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from huey import consumer as huey_consumer  # type: ignore[import-untyped]

from handover import maintenance, outbox
from handover.observability import get_logger
from handover.runtime import Backoff, Outage, Runtime

INITIAL_POLL_DELAY = 0.05
MAX_POLL_DELAY = 0.5
SHUTDOWN_TIMEOUT = 30.0
FEED_INTERVAL = 0.1
"""Seconds between two looks for new stored events (when the last look fed a part batch)."""
FEED_RETRY_DELAY = 0.5
"""Seconds before the feeder's first retry after the database or the queue failed (then
doubled per failure in a row, up to `runtime.BACKOFF_MAX`)."""
log = get_logger("worker")


class Feeder:
    """A daemon thread that enqueues stored events and due outbox actions until stopped."""

    def __init__(self, runtime: Runtime, clock: Callable[[], float] = time.monotonic) -> None:
        self.runtime = runtime
        self.retry = Backoff(runtime.outage("feed", clock), initial=FEED_RETRY_DELAY)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="handoff-feeder", daemon=True)

    def start(self) -> Feeder:
        """Start feeding; return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop feeding (events stored from now on wait in the store for a worker)."""
        self._stopping.set()
        self._thread.join(SHUTDOWN_TIMEOUT)

    def step(self) -> float:
        """Feed once; return the seconds to wait before the next look.

        At once after a full batch, `FEED_INTERVAL` after a part batch, and the back-off
        delay after a failure (logged by the feeder's outage, not once per try).
        """
        try:
            fed = maintenance.feed(self.runtime)
            due = outbox.feed(self.runtime)
        except Exception as exc:
            return self.retry.failed(exc)
        self.retry.succeeded()
        full = fed >= maintenance.FEED_BATCH or due >= outbox.FEED_BATCH
        return 0.0 if full else FEED_INTERVAL

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._stopping.wait(self.step())


class QueueWorker(huey_consumer.Worker):  # type: ignore[misc]
    """huey's worker loop, which backs off while the queue cannot be read.

    huey's own loop logs a traceback and retries at the polling pace (`MAX_POLL_DELAY`)
    for every failed read; this one reports to the consumer's shared `Outage` instead.
    """

    def __init__(self, *args: Any, retry: Backoff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry = retry

    def loop(self, now: Any = None) -> None:
        """Take one job from the queue and run it (huey's `Worker.loop`, with back-off)."""
        try:
            task = self.huey.dequeue()
        except Exception as exc:
            self.stop_flag.wait(self.retry.failed(exc))
            return
        self.retry.succeeded()
        if task is not None:
            self._execute(task, now)
        elif not self.huey.storage.blocking:
            self.sleep()

    def _execute(self, task: Any, now: Any) -> None:
        """Run one job as huey does: errors are logged by the job or here, never raised."""
        self.delay = self.default_delay
        self.task_count += 1
        try:
            self.huey.execute(task, now)
        except Exception:
            self._logger.exception("Unhandled error during execution of task %s.", task.id)
        if self.max_tasks and self.task_count >= self.max_tasks:
            raise huey_consumer.WorkerRecycle()


class QueueScheduler(huey_consumer.Scheduler):  # type: ignore[misc]
    """huey's scheduler, which backs off while the queue fails.

    Each `interval` it moves due jobs (retries waiting for their delay) to the queue and,
    once a minute, enqueues the periodic ones. A failure waits for the back-off; a job
    read from the schedule but not enqueued is lost, and its event, still `stored`, is
    enqueued again by `sweep`.
    """

    def __init__(self, *args: Any, retry: Backoff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry = retry

    def loop(self, now: Any = None) -> None:
        """Enqueue what is due, then sleep until the next tick (or the back-off delay)."""
        started = time.monotonic()
        try:
            self._enqueue_due(now)
        except Exception as exc:
            self.stop_flag.wait(self.retry.failed(exc))
            return
        self.retry.succeeded()
        self.sleep_for_interval(started, self.interval)

    def _enqueue_due(self, now: Any) -> None:
        """Move due scheduled jobs to the queue; enqueue the periodic jobs once a minute."""
        for task in self.huey.read_schedule(now):
            self.huey.enqueue(task)
        if self.periodic and self._next_periodic <= time.monotonic():
            while self._next_periodic <= time.monotonic():
                self._next_periodic += self.periodic_task_seconds
            self.enqueue_periodic_tasks(now)

    def enqueue_periodic_tasks(self, now: Any) -> None:
        """Enqueue the periodic jobs due at `now`; a queue error is raised to `loop`."""
        for task in self.huey.read_periodic(now):
            self._logger.info("Enqueueing periodic task %s.", task)
            self.huey.enqueue(task)


class Consumer(huey_consumer.Consumer):  # type: ignore[misc]
    """huey's consumer with the back-off loops; its workers and scheduler share one outage."""

    def __init__(self, huey: Any, outage: Outage, **options: Any) -> None:
        self.outage = outage  # before huey's __init__, which creates the workers
        super().__init__(huey, **options)

    def _create_worker(self) -> QueueWorker:
        return QueueWorker(
            huey=self.huey,
            stop_flag=self.stop_flag,
            default_delay=self.default_delay,
            max_delay=self.max_delay,
            backoff=self.backoff,
            max_tasks=self.max_tasks,
            retry=Backoff(self.outage),
        )

    def _create_scheduler(self) -> QueueScheduler:
        return QueueScheduler(
            huey=self.huey,
            stop_flag=self.stop_flag,
            interval=self.scheduler_interval,
            periodic=self.periodic,
            retry=Backoff(self.outage),
        )


def consumer_options(workers: int) -> dict[str, Any]:
    """Return the huey consumer options Handoff runs with (also for an embedded consumer)."""
    return {
        "workers": workers,
        "worker_type": "thread",
        "periodic": True,
        "initial_delay": INITIAL_POLL_DELAY,
        "max_delay": MAX_POLL_DELAY,
        "shutdown_timeout": SHUTDOWN_TIMEOUT,
        "graceful_signal": "TERM",
    }


def make_consumer(
    runtime: Runtime, workers: int = 2, clock: Callable[[], float] = time.monotonic
) -> Consumer:
    """Return a consumer of the runtime's queue with `workers` threads and the scheduler."""
    return Consumer(runtime.huey, runtime.outage("queue", clock), **consumer_options(workers))


def run(runtime: Runtime, workers: int = 2) -> None:
    """Consume in the foreground until SIGINT / SIGTERM (SIGTERM lets running jobs finish)."""
    log.info("worker.start", workers=workers, queue=runtime.settings.queue_name)
    feeder = Feeder(runtime).start()
    try:
        make_consumer(runtime, workers).run()
    finally:
        feeder.stop()
        runtime.close()
    log.info("worker.stop")


@dataclass
class EmbeddedWorker:
    """A consumer running on daemon threads of another process (`handoff serve`)."""

    consumer: Any
    feeder: Feeder

    def stop(self) -> None:
        """Stop feeding and taking jobs; wait for the running ones (up to `SHUTDOWN_TIMEOUT`)."""
        self.feeder.stop()
        self.consumer.stop(graceful=True)


def start_embedded(runtime: Runtime, workers: int = 1) -> EmbeddedWorker:
    """Start the workers and the scheduler on daemon threads; signal handling stays the host's."""
    consumer = make_consumer(runtime, workers)
    consumer.scheduler.start()
    for _, thread in consumer.worker_threads:
        thread.start()
    log.info("worker.embedded", workers=workers, queue=runtime.settings.queue_name)
    return EmbeddedWorker(consumer, Feeder(runtime).start())
