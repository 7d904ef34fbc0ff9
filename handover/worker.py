"""Running the huey consumer: `handoff worker` in the foreground, or embedded in `handoff serve`.

Workers are threads (`process_event` waits on the database, not the CPU). The scheduler
runs the periodic `sweep` (every minute, and once as the consumer starts, so events left
`stored` by a dead worker are picked up on restart) and `purge` (hourly). `start_embedded`
runs the same consumer on background threads of `handoff serve`. huey polls the
SQLite queue with a back-off capped at `MAX_POLL_DELAY` seconds (its default cap of 10 s
would delay the first event after a quiet spell); Redis blocks on the queue instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handover.observability import get_logger
from handover.runtime import Runtime

INITIAL_POLL_DELAY = 0.05
MAX_POLL_DELAY = 0.5
SHUTDOWN_TIMEOUT = 30.0
log = get_logger("worker")


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
    try:
        make_consumer(runtime, workers).run()
    finally:
        runtime.close()
    log.info("worker.stop")


@dataclass
class EmbeddedWorker:
    """A consumer running on daemon threads of another process (`handoff serve`)."""

    consumer: Any

    def stop(self) -> None:
        """Stop taking jobs and wait for the running ones (up to `SHUTDOWN_TIMEOUT`)."""
        self.consumer.stop(graceful=True)


def start_embedded(runtime: Runtime, workers: int = 1) -> EmbeddedWorker:
    """Start the workers and the scheduler on daemon threads; signal handling stays the host's."""
    consumer = make_consumer(runtime, workers)
    consumer.scheduler.start()
    for _, thread in consumer.worker_threads:
        thread.start()
    log.info("worker.embedded", workers=workers, queue=runtime.settings.queue_name)
    return EmbeddedWorker(consumer)
