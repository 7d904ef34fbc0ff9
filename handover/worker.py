"""Running the huey consumer: `handoff worker` in the foreground, or embedded in `handoff serve`.

Workers are threads (`process_event` waits on the database, not the CPU). Beside them, a
`Feeder` thread looks for newly stored events every `FEED_INTERVAL` seconds (at once again
after a full batch) and enqueues them (`maintenance.feed`): intake only stores, so the
worker is woken by the stored events themselves. The scheduler runs the periodic `sweep`
(every minute, and once as the consumer starts, so events left `stored` by a dead worker
are picked up on restart) and `purge` (hourly). `start_embedded` runs the same consumer
on background threads of `handoff serve`. huey polls the SQLite queue with a back-off
capped at `MAX_POLL_DELAY` seconds (its default cap of 10 s would delay the first event
after a quiet spell); Redis blocks on the queue instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from handover import maintenance
from handover.observability import get_logger
from handover.runtime import Runtime

INITIAL_POLL_DELAY = 0.05
MAX_POLL_DELAY = 0.5
SHUTDOWN_TIMEOUT = 30.0
FEED_INTERVAL = 0.1
"""Seconds between two looks for new stored events (when the last look fed a part batch)."""
FEED_RETRY_DELAY = 5.0
"""Seconds before the feeder tries again after the database or the queue failed."""
log = get_logger("worker")


class Feeder:
    """A daemon thread that enqueues newly stored events (`maintenance.feed`) until stopped."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
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

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                fed = maintenance.feed(self.runtime)
            except Exception as exc:
                log.warning("feed.failed", error=f"{type(exc).__name__}: {str(exc)[:300]}")
                self._stopping.wait(FEED_RETRY_DELAY)
                continue
            if fed < maintenance.FEED_BATCH:
                self._stopping.wait(FEED_INTERVAL)


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


def make_consumer(runtime: Runtime, workers: int = 2) -> Any:
    """Return a huey consumer of the runtime's queue with `workers` threads and the scheduler."""
    return runtime.huey.create_consumer(**consumer_options(workers))


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
