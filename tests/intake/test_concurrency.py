"""Events of one conversation are applied one at a time, whatever the number of workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest

from escalation.case import Case
from escalation.decision import Decision
from handover import jobs
from handover.models import EventStatus
from handover.runtime import Runtime
from handover.worker import start_embedded
from tests.intake import helpers
from tests.intake.backends import wait_for
from tests.intake.flow import ingest, process, slack_message

ROOT = slack_message("1717000000.123400", "Hello, my order has not arrived", "EvRoot")
del ROOT["event"]["thread_ts"]


def reply(number: int) -> dict[str, Any]:
    """The customer's `number`-th reply in the recorded thread."""
    return slack_message(f"17170001{number:02d}.000001", f"any news? ({number})", f"EvC{number}")


def watch_decisions(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, hold: Callable[[int], None] | None = None
) -> list[int]:
    """Record the transcript length of every decision; `hold(call)` runs inside the lock."""
    detector = runtime.detector("acme")
    original = detector.decide
    seen: list[int] = []

    def decide(case: Case) -> Decision:
        seen.append(len(case.messages))
        if hold is not None:
            hold(len(seen))
        return original(case)

    monkeypatch.setattr(detector, "decide", decide)
    return seen


def in_thread(target: Callable[[], Any], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_second_worker_waits_for_the_first_on_the_same_conversation(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert process(runtime, "slack", ROOT) is EventStatus.PROCESSED
    first, second = ingest(runtime, "slack", reply(1)), ingest(runtime, "slack", reply(2))
    inside, release = threading.Event(), threading.Event()

    def hold(call: int) -> None:
        if call == 1:
            inside.set()
            assert release.wait(20)

    seen = watch_decisions(runtime, monkeypatch, hold)
    errors: list[BaseException] = []
    one = in_thread(lambda: jobs.process_event(runtime, first), errors)
    assert inside.wait(20), errors
    two = in_thread(lambda: jobs.process_event(runtime, second), errors)
    time.sleep(0.3)  # long enough for the second worker to reach the detector if it could
    assert seen == [2], "the second worker entered the conversation while the first held it"
    release.set()
    one.join(20)
    two.join(20)
    assert errors == []
    assert seen == [2, 3]  # the second worker saw the first one's message
    (conversation,) = helpers.conversations(runtime)
    assert conversation.revision == 3
    assert len(helpers.messages(runtime)) == 3
    rows = helpers.decisions(runtime)
    assert all(b.state_before == a.state_after for a, b in pairwise(rows))


def test_four_consumer_threads_lose_no_update(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert process(runtime, "slack", ROOT) is EventStatus.PROCESSED
    seen = watch_decisions(runtime, monkeypatch)
    worker = start_embedded(runtime, workers=4)
    try:
        ids = [ingest(runtime, "slack", reply(number)) for number in range(1, 13)]

        def all_processed() -> bool:
            return all(helpers.event(runtime, i).status == EventStatus.PROCESSED for i in ids)

        wait_for(all_processed, timeout=30)
    finally:
        worker.stop()
    (conversation,) = helpers.conversations(runtime)
    assert conversation.revision == 13
    assert len(helpers.messages(runtime)) == 13
    assert sorted(seen) == list(range(2, 14))  # every worker saw all earlier messages
    rows = helpers.decisions(runtime)
    assert len(rows) == 13
    assert all(b.state_before == a.state_after for a, b in pairwise(rows))
