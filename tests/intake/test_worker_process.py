"""A real worker process killed between intake and processing: the event is processed once.

The worker is `handoff worker` (or, to be killed mid-job, `stalling_worker.py`, the same
consumer with a detector that hangs) in a separate process on the test's database and
queue; it is killed with SIGKILL, then `handoff worker` is started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from handover.models import EventStatus, StoredEvent, utcnow
from handover.runtime import Runtime
from tests.intake import helpers
from tests.intake.backends import ROOT, environment, fixture_body, wait_for
from tests.intake.flow import ingest

ESCALATING = fixture_body("intercom", "conversation.user.replied")  # "a real person please"
HANDOFF = Path(sys.executable).with_name("handoff")


class Worker:
    """One worker subprocess, its output in a log file."""

    def __init__(self, runtime: Runtime, log: Path, *command: str) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment(runtime.settings), stdout=out, stderr=out
            )

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind in the worker."""
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM: a graceful stop; return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(15)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


@pytest.fixture
def workers(runtime: Runtime, tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


def start(runtime: Runtime, tmp_path: Path, workers: list[Worker], *command: str) -> Worker:
    worker = Worker(runtime, tmp_path / "worker.log", *command)
    workers.append(worker)
    return worker


def handoff_worker(runtime: Runtime, tmp_path: Path, workers: list[Worker]) -> Worker:
    command = [str(HANDOFF)] if HANDOFF.exists() else [sys.executable, "-m", "cli"]
    return start(runtime, tmp_path, workers, *command, "worker", "--workers", "2")


def processed(runtime: Runtime, event_id: int) -> bool:
    return helpers.event(runtime, event_id).status == EventStatus.PROCESSED


def assert_processed_once(runtime: Runtime, event_id: int) -> None:
    stored = helpers.event(runtime, event_id)
    assert (stored.status, stored.attempts) == (EventStatus.PROCESSED, 1)
    assert len(helpers.messages(runtime)) == 1
    rows = helpers.decisions(runtime)
    assert [(r.status, r.state_before, r.state_after) for r in rows] == [
        ("escalate", "bot", "escalated")
    ]
    assert helpers.conversations(runtime)[0].revision == 1


def test_killed_in_the_middle_of_a_job_the_event_is_processed_once_after_restart(
    runtime: Runtime, tmp_path: Path, workers: list[Worker]
) -> None:
    event_id = ingest(runtime, "intercom", ESCALATING)
    marker = tmp_path / "inside"
    script = [sys.executable, "-m", "tests.intake.stalling_worker", str(marker)]
    stalled = start(runtime, tmp_path, workers, *script)
    try:
        wait_for(marker.exists, timeout=30)
    except AssertionError:
        raise AssertionError(stalled.output()) from None
    stalled.kill()

    stored = helpers.event(runtime, event_id)
    assert (stored.status, stored.attempts) == (EventStatus.STORED, 0)  # rolled back
    assert helpers.messages(runtime) == [] and helpers.conversations(runtime) == []
    assert helpers.pending(runtime) == 0  # the job left the queue with the dead worker

    due = stored.received_at.timestamp() + runtime.settings.sweep_after_seconds
    time.sleep(max(0.0, due - time.time()) + 0.1)  # the sweeper only takes events this old
    worker = handoff_worker(runtime, tmp_path, workers)
    try:
        wait_for(lambda: processed(runtime, event_id), timeout=30)
    except AssertionError:
        raise AssertionError(worker.output()) from None
    assert_processed_once(runtime, event_id)
    assert helpers.event(runtime, event_id).swept_at is not None
    assert worker.stop() == 0
    assert_processed_once(runtime, event_id)


def test_killed_while_idle_the_stored_event_is_processed_once_after_restart(
    runtime: Runtime, tmp_path: Path, workers: list[Worker]
) -> None:
    warm_up = ingest(runtime, "slack", fixture_body("slack", "message.im"))
    first = handoff_worker(runtime, tmp_path, workers)
    try:
        wait_for(lambda: processed(runtime, warm_up), timeout=30)
    except AssertionError:
        raise AssertionError(first.output()) from None
    first.kill()

    event_id = ingest(runtime, "intercom", ESCALATING)
    assert helpers.pending(runtime) == 0  # intake only stores: the next worker finds it there
    assert helpers.event(runtime, event_id).status == EventStatus.STORED

    second = handoff_worker(runtime, tmp_path, workers)
    try:
        wait_for(lambda: processed(runtime, event_id), timeout=30)
    except AssertionError:
        raise AssertionError(second.output()) from None
    assert second.stop() == 0
    # Its feeder enqueued it (had the start-up sweep queued it too, that job was a no-op).
    stored = helpers.event(runtime, event_id)
    assert (stored.status, stored.attempts) == (EventStatus.PROCESSED, 1)
    assert helpers.pending(runtime) == 0
    escalations = [r for r in helpers.decisions(runtime) if r.status == "escalate"]
    assert [(r.event_id, r.state_before, r.state_after) for r in escalations] == [
        (event_id, "bot", "escalated")
    ]
    assert len(helpers.messages(runtime)) == 2  # the warm-up's and this one


def test_claimed_but_never_enqueued_the_event_is_swept_and_processed_once(
    runtime: Runtime, tmp_path: Path, workers: list[Worker]
) -> None:
    """A worker that died between claiming an event and enqueueing its job."""
    event_id = ingest(runtime, "intercom", ESCALATING)
    with runtime.db.write() as session:
        session.get_one(StoredEvent, event_id).swept_at = utcnow()
    assert helpers.pending(runtime) == 0
    time.sleep(runtime.settings.sweep_after_seconds + 0.2)  # due for the sweeper

    worker = handoff_worker(runtime, tmp_path, workers)
    try:
        wait_for(lambda: processed(runtime, event_id), timeout=30)
    except AssertionError:
        raise AssertionError(worker.output()) from None
    assert worker.stop() == 0
    assert_processed_once(runtime, event_id)
    assert helpers.pending(runtime) == 0


def test_environment_reaches_the_worker(runtime: Runtime) -> None:
    env = environment(runtime.settings)
    assert env["HANDOFF_DATABASE_URL"] == runtime.settings.database_url
    assert env["HANDOFF_QUEUE_NAME"] == runtime.settings.queue_name
    assert ("HANDOFF_REDIS_URL" in env) == (runtime.settings.redis_url is not None)
    assert os.environ.get("HANDOFF_QUEUE_NAME") != env["HANDOFF_QUEUE_NAME"]
