"""Metrics (prometheus-client counters) and structured logs (structlog JSON) for intake and jobs.

Log lines carry ids, names, statuses and error paths, never request bodies, message text
or secrets. `configure_logging()` is called once by long-running commands (`worker`,
`serve`); without it structlog prints readable lines, which is what tests see.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO, cast

import structlog
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from structlog.typing import FilteringBoundLogger

EVENTS_RECEIVED = Counter(
    "handoff_events_received",
    "Webhook deliveries handed to intake, by outcome (stored, duplicate).",
    ["platform", "outcome"],
)
EVENTS_DUPLICATE = Counter(
    "handoff_events_duplicate", "Deliveries already stored (platform retries).", ["platform"]
)
ENQUEUE_FAILED = Counter(
    "handoff_events_enqueue_failed",
    "Claimed stored events that could not be enqueued (the sweeper enqueues them later).",
)
EVENTS_PROCESSED = Counter(
    "handoff_events_processed",
    "Events the worker finished, by final status (processed, ignored, dropped).",
    ["platform", "status"],
)
EVENTS_FAILED = Counter(
    "handoff_events_failed", "Events kept as failed (invalid payload or gave up).", ["platform"]
)
EVENTS_SWEPT = Counter("handoff_events_swept", "Stored events enqueued again by the sweeper.")
BODIES_PURGED = Counter("handoff_bodies_purged", "Raw webhook bodies removed after retention.")
DECISIONS = Counter(
    "handoff_decisions", "Detector decisions stored, by status.", ["platform", "status"]
)
TRANSITIONS = Counter(
    "handoff_transitions", "Conversation state changes.", ["platform", "state_after"]
)
ACTIONS = Counter(
    "handoff_actions",
    "Outbox action attempts by result (done, skipped, retry, dead, cancelled, dry_run).",
    ["platform", "kind", "result"],
)
ACTIONS_DEAD = Counter(
    "handoff_actions_dead", "Actions dead-lettered (kept, shown by the state API).", ["platform"]
)


def exposition() -> tuple[bytes, str]:
    """The counters in Prometheus text format, with its content type.

    Under `handoff serve` (multiprocess mode, see `handover.metrics_dir`) the counts of
    every process are added up; otherwise this process's own are shown.
    """
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST


_configured = False


class _Stderr:
    """Standard error as it is when a line is written (tests swap `sys.stderr` around)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: int = logging.INFO) -> None:
    """Send structlog and stdlib logs (huey, alembic) to stderr as JSON lines (idempotent).

    Each logger is built on its first use and then cached (the webhook path logs on every
    request); `structlog.testing.capture_logs` still works, as it edits the processor
    list that cached loggers share.
    """
    global _configured
    if _configured:
        return
    stream = cast(TextIO, _Stderr())
    logging.basicConfig(level=level, stream=stream, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=True,
    )
    _configured = True


def get_logger(name: str) -> FilteringBoundLogger:
    """Return a structlog logger bound to a component name."""
    logger: FilteringBoundLogger = structlog.get_logger(component=name)
    return logger
