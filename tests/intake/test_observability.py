"""Logging as `handoff serve` / `handoff worker` configure it: JSON lines, cached loggers."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from handover import observability


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`configure_logging()` for one test; structlog and the stdlib loggers restored after."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in observability.QUIET_LOGGERS}
    monkeypatch.setattr(observability, "_configured", False)
    try:
        root.handlers[:] = []  # as in `handoff serve`: pytest's own handlers aside
        observability.configure_logging()
        yield
    finally:
        structlog.configure(**saved)
        root.handlers[:] = handlers
        root.setLevel(root_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        logging.captureWarnings(False)


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of `text` as a JSON object (fails on any line that is not one)."""
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.usefixtures("configured")
def test_cached_loggers_write_json_lines_and_can_still_be_captured(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = observability.get_logger("web")
    log.info("first", delivery_id="d-1")
    log.debug("hidden")  # below INFO
    with capture_logs() as logs:
        log.info("captured", delivery_id="d-2")
    log.info("after", delivery_id="d-3")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["event"], line["delivery_id"]) for line in lines] == [
        ("first", "d-1"),
        ("after", "d-3"),
    ]
    assert lines[0]["component"] == "web" and lines[0]["level"] == "info"
    assert [(entry["event"], entry["delivery_id"]) for entry in logs] == [("captured", "d-2")]


@pytest.mark.usefixtures("configured")
def test_stdlib_records_are_json_lines_too(capsys: pytest.CaptureFixture[str]) -> None:
    logging.getLogger("alembic.runtime.migration").info("Running upgrade %s -> %s", "a", "b")
    logging.getLogger("huey.consumer").info("Huey consumer started\nwith 2 threads")
    logging.getLogger("gunicorn.error").warning("Worker timeout (pid: %s)", 42)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("huey").exception("Unhandled exception in task %s.", "t-1")
    observability.get_logger("web").info("webhook.accepted", delivery_id="d-1")
    lines = json_lines(capsys.readouterr().err)
    assert [(line["logger"], line["level"], line["event"]) for line in lines[:4]] == [
        ("alembic.runtime.migration", "info", "Running upgrade a -> b"),
        ("huey.consumer", "info", "Huey consumer started\nwith 2 threads"),
        ("gunicorn.error", "warning", "Worker timeout (pid: 42)"),
        ("huey", "error", "Unhandled exception in task t-1."),
    ]
    assert "RuntimeError: boom" in lines[3]["exception"]
    assert all(line["timestamp"].endswith("Z") for line in lines)
    assert (lines[4]["event"], lines[4]["component"]) == ("webhook.accepted", "web")


@pytest.mark.usefixtures("configured")
def test_per_request_and_per_job_library_lines_are_quiet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logging.getLogger("httpx").info("HTTP Request: POST https://api.intercom.io/tags 200 OK")
    logging.getLogger("httpcore.connection").debug("connect_tcp.started")
    logging.getLogger("huey").info("Executing handover.jobs.process_event: 1")
    logging.getLogger("huey").info("handover.jobs.process_event: 1 executed in 0.010s")
    logging.getLogger("huey.consumer.Scheduler").info("Enqueueing periodic task sweep.")
    logging.getLogger("huey").warning("Task 1 expired")
    logging.getLogger("httpx").warning("kept")
    logging.getLogger("huey.consumer").info("Shutting down gracefully...")
    events = [line["event"] for line in json_lines(capsys.readouterr().err)]
    assert events == ["Task 1 expired", "kept", "Shutting down gracefully..."]


@pytest.mark.usefixtures("configured")
def test_python_warnings_are_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("old API", DeprecationWarning, stacklevel=1)
    (line,) = json_lines(capsys.readouterr().err)
    assert line["logger"] == "py.warnings" and "DeprecationWarning: old API" in line["event"]


@pytest.mark.usefixtures("configured")
def test_configuring_again_keeps_one_json_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    observability.configure_logging()  # idempotent
    monkeypatch.setattr(observability, "_configured", False)
    observability.configure_logging()  # again, as after a reset: the handler is replaced
    names = [h.get_name() for h in logging.getLogger().handlers]
    assert names.count("handoff-json") == 1


def test_a_root_logger_configured_elsewhere_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    saved = structlog.get_config()
    monkeypatch.setattr(observability, "_configured", False)
    root = logging.getLogger()
    host = logging.NullHandler()  # a host's (pytest has its own too)
    root.addHandler(host)
    before = list(root.handlers)
    huey = logging.getLogger("huey").level
    try:
        observability.configure_logging()
        assert root.handlers == before and logging.getLogger("huey").level == huey
    finally:
        root.removeHandler(host)
        structlog.configure(**saved)
