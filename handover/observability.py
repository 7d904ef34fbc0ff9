"""Metrics (prometheus-client counters) and structured logs (structlog JSON) for intake and jobs.

Log lines carry ids, names, statuses and error paths, never request bodies, message text
or secrets. `configure_logging()` is called once by long-running commands (`worker`,
`serve`, `db upgrade`, `forget`): then every line they log to stderr, the libraries'
stdlib logging included, is one JSON object. Without it structlog prints readable lines,
which is what tests see.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from typing import Protocol, TextIO, cast

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


class _Decided(Protocol):
    status: str | None
    state_before: str
    state_after: str


def count_decisions(platform: str, decisions: Iterable[_Decided]) -> None:
    """Count stored decisions by status, and the state changes they made."""
    for row in decisions:
        if row.status:
            DECISIONS.labels(platform, row.status).inc()
        if row.state_after != row.state_before:
            TRANSITIONS.labels(platform, row.state_after).inc()


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
QUIET_LOGGERS = {
    "httpx": logging.WARNING,  # "HTTP Request: POST ... 200 OK", dry-run fakes included
    "httpcore": logging.WARNING,
    "huey": logging.WARNING,  # "Executing <task>", "<task> executed in 0.001s": one per job
    "huey.consumer": logging.INFO,  # the consumer starting and stopping
    "huey.consumer.Scheduler": logging.WARNING,  # "Enqueueing periodic task ..." every minute
}
"""Stdlib loggers set to a level of their own by `configure_logging` (warnings still show)."""
_HANDLER_NAME = "handoff-json"


class _Stderr:
    """Standard error as it is when a line is written (tests swap `sys.stderr` around)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def json_handler() -> logging.Handler:
    """A stdlib handler writing each record to stderr as one JSON object per line.

    The lines look like structlog's own: `event`, `level`, `timestamp`, plus the stdlib
    `logger` name (`huey.consumer`, `gunicorn.error`, `alembic.runtime.migration`, ...).
    """
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(cast(TextIO, _Stderr()))
    handler.setFormatter(formatter)
    handler.set_name(_HANDLER_NAME)
    return handler


def configure_logging(level: int = logging.INFO) -> None:
    """Send structlog and stdlib logs (huey, alembic, gunicorn, ...) to stderr as JSON lines.

    Idempotent. Every line on stderr is then one JSON object: stdlib records go through
    structlog's `ProcessorFormatter` on the root logger's handler, Python warnings through
    the `py.warnings` logger, and the chattiest stdlib loggers are quietened
    (`QUIET_LOGGERS`). Like `logging.basicConfig`, it leaves stdlib logging alone when the
    root logger already has another handler (pytest's, a host's). Each structlog logger
    is built on its first use and then cached (the webhook path logs on every request);
    `structlog.testing.capture_logs` still works, as it edits the processor list that
    cached loggers share.
    """
    global _configured
    if _configured:
        return
    root = logging.getLogger()
    if all(handler.get_name() == _HANDLER_NAME for handler in root.handlers):
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.addHandler(json_handler())
        root.setLevel(level)
        for name, quiet in QUIET_LOGGERS.items():
            logging.getLogger(name).setLevel(max(quiet, level))
        logging.captureWarnings(True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # one write per line (print() makes two), so a line never splits around a stdlib one
        logger_factory=structlog.WriteLoggerFactory(cast(TextIO, _Stderr())),
        cache_logger_on_first_use=True,
    )
    _configured = True


def get_logger(name: str) -> FilteringBoundLogger:
    """Return a structlog logger bound to a component name."""
    logger: FilteringBoundLogger = structlog.get_logger(component=name)
    return logger
