"""Logging as `handoff serve` / `handoff worker` configure it: JSON lines, cached loggers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from structlog.testing import capture_logs

from handover import observability


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`configure_logging()` for one test; structlog and the root logger restored after."""
    saved = structlog.get_config()
    handlers = list(logging.getLogger().handlers)
    monkeypatch.setattr(observability, "_configured", False)
    try:
        observability.configure_logging()
        yield
    finally:
        structlog.configure(**saved)
        logging.getLogger().handlers[:] = handlers


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
