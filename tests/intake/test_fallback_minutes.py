"""`escalation.pending_fallback.after_minutes`: the periodic job escalates stuck conversations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from handover.fallback import escalate_stuck
from handover.models import StoredAction, utcnow
from handover.runtime import Runtime
from tests.intake import helpers
from tests.intake.flow import process, slack_message


def with_fallback(workdir: Path, make_runtime: Any) -> Runtime:
    path = workdir / "acme.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["escalation"]["pending_fallback"] = {"after_minutes": 30}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    runtime: Runtime = make_runtime()
    return runtime


def test_a_conversation_collecting_too_long_is_escalated_with_what_is_missing(
    backend: str, workdir: Path, make_runtime: Any
) -> None:
    runtime = with_fallback(workdir, make_runtime)
    process(
        runtime,
        "slack",
        slack_message("1717000000.123400", "I want to return my boots", "EvF1"),
    )
    assert helpers.conversations(runtime)[0].state == "collecting"
    assert escalate_stuck(runtime, utcnow() + timedelta(minutes=29)) == 0
    assert escalate_stuck(runtime, utcnow() + timedelta(minutes=31)) == 1
    conversation = helpers.conversations(runtime)[0]
    assert conversation.state == "escalated"
    last = helpers.decisions(runtime)[-1]
    assert last.status == "escalate" and last.event_id is None
    assert "still missing: order_number, email, return_reason" in last.reason
    with runtime.db.read() as session:
        note = session.scalars(select(StoredAction).where(StoredAction.kind == "note")).one()
    assert "order" in note.payload["text"].lower()
    assert escalate_stuck(runtime, utcnow() + timedelta(minutes=90)) == 0  # once only
