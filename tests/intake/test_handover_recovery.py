"""Exactly once when things go wrong: crashed runs, stale runs, late closes, human routing.

Each test pins a defect an independent review found (and that failed before its fix), on
SQLite and on PostgreSQL + Redis, against the loopback Slack fake and `responses`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import responses
import respx
from sqlalchemy import update

from handover import act, outbox
from handover.act import Result, finish
from handover.models import ActionStatus, StoredAction, utcnow
from handover.runtime import Runtime
from handover.store import make_engine
from tests.connectors.slack_fake import SlackFake
from tests.intake import helpers
from tests.intake.flow import body, process, zendesk_comment
from tests.intake.handover_env import intercom_routes, zendesk_routes
from tests.intake.test_handover_e2e import (
    AUTH,
    actions,
    api,
    escalating,
    live,
    make_due,
    slack,
)

__all__ = ["live", "slack"]  # fixtures shared with the end-to-end suite


def row(runtime: Runtime, kind: str) -> StoredAction:
    return next(r for r in actions(runtime) if r.kind == kind)


def note_posts(fake: SlackFake) -> int:
    posted = [c.body for c in fake.calls("chat.postMessage")]
    return sum(1 for b in posted if b.get("metadata", {}).get("event_type") == "handoff_note")


def expire_run_lease(runtime: Runtime, action_id: int) -> None:
    with runtime.db.write() as session:
        expired = utcnow() - timedelta(seconds=1)
        session.execute(
            update(StoredAction).where(StoredAction.id == action_id).values(lease_until=expired)
        )


def run_queue(runtime: Runtime) -> None:
    while (job := runtime.huey.dequeue()) is not None:
        runtime.huey.execute(job)


def test_a_run_abandoned_mid_send_is_handed_over_by_the_feeder_and_checked(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    process(live, "slack", escalating("slack"))
    note = row(live, "note")
    assert outbox.claim(live, note.id) is not None  # a worker took it, then died
    expire_run_lease(live, note.id)
    assert outbox.feed(live) >= 1
    taken_over = row(live, "note")
    assert taken_over.status == "retry" and taken_over.ambiguous
    run_queue(live)
    assert row(live, "note").status == "done"
    assert len(slack.calls("conversations.history")) == 1  # looked for the marker first
    assert note_posts(slack) == 1


def test_a_rate_limited_marker_lookup_keeps_the_doubt(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    slack.respond("chat.postMessage", delay=1.0, once=True)  # accepted, but we time out
    process(live, "slack", escalating("slack"))
    note = row(live, "note")
    assert act.run_action(live, note.id) is ActionStatus.RETRY
    limited = {"ok": False, "error": "ratelimited"}
    slack.respond(
        "conversations.history", limited, status=429, headers={"Retry-After": "1"}, once=True
    )
    make_due(live)
    assert act.run_action(live, note.id) is ActionStatus.RETRY
    assert row(live, "note").ambiguous  # the lookup never answered: still in doubt
    marker = note.payload["marker"]
    found = {
        "ts": f"{time.time():.6f}",
        "metadata": {"event_type": "handoff_note", "event_payload": {"marker": marker}},
    }
    slack.respond("conversations.history", {"ok": True, "messages": [found], "has_more": False})
    make_due(live)
    assert act.run_action(live, note.id) is ActionStatus.DONE
    assert note_posts(slack) == 1


def test_a_run_that_lost_its_row_to_a_takeover_writes_nothing(
    backend: str, live: Runtime, slack: SlackFake
) -> None:
    process(live, "slack", escalating("slack"))
    note = row(live, "note")
    stale = outbox.claim(live, note.id)  # worker A: slow, its lease runs out
    assert stale is not None
    expire_run_lease(live, note.id)
    assert act.run_action(live, note.id) is ActionStatus.DONE  # worker B takes over
    late = Result(ActionStatus.RETRY, error="slack rate limit", http_status=429, retry_in=0)
    finish(live, stale, late)  # A finishes after all
    assert row(live, "note").status == "done"
    make_due(live)
    assert act.run_action(live, note.id) is None
    assert note_posts(slack) == 1


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_close_from_before_a_hand_back_does_not_end_the_new_episode(
    backend: str, live: Runtime
) -> None:
    now = datetime.now(UTC)
    state = "/api/v1/workspaces/acme/conversations/zendesk/5158"
    client = api(live)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        zendesk_routes(mock, "5158")
        ask = zendesk_comment(
            70001, "Can I talk to a person please?", iso(now - timedelta(minutes=5)), "z1"
        )
        process(live, "zendesk", ask)
        assert client.post(state + "/handback", headers=AUTH).get_json()["episode"] == 2
        again = zendesk_comment(
            70003, "I need a human agent again please", iso(now + timedelta(seconds=30)), "z3"
        )
        process(live, "zendesk", again)
        solved = body("zendesk", "ticket.status_changed")
        solved.update(id="late-solved", time=iso(now - timedelta(minutes=1)))  # delivered late
        process(live, "zendesk", solved)
    after = client.get(state, headers=AUTH).get_json()
    assert after["episode"] == 2 and after["state"] == "escalated"
    assert sorted(r.episode for r in actions(live) if r.kind == "note") == [1, 2]


def test_a_teammates_assignment_makes_our_routing_a_no_op(backend: str, live: Runtime) -> None:
    with respx.mock(assert_all_called=False) as router:
        intercom_routes(router, "215469620112938")
        process(live, "intercom", escalating("intercom"))
        assigned = body("intercom", "conversation.admin.assigned")
        part = assigned["data"]["item"]["conversation_parts"]["conversation_parts"][0]
        part["author"].update({"id": "777", "type": "admin", "name": "Dana"})
        assigned["id"] = "notif_human_assign"
        process(live, "intercom", assigned)
        assert helpers.conversations(live)[0].state == "with_team"
        assert act.run_action(live, row(live, "assign").id) is ActionStatus.SKIPPED
        parts = [c for c in router.calls if c.request.url.path.endswith("/parts")]
    assert parts == []
    assert helpers.decisions(live)[-1].reason == "assigned by teammate 777"


def test_actions_run_in_the_mode_they_were_planned_in(
    backend: str, live: Runtime, slack: SlackFake, monkeypatch: Any
) -> None:
    process(live, "slack", escalating("slack"))
    with live.db.write() as session:  # planned while the workspace was in dry run
        session.execute(update(StoredAction).values(dry_run=True))
    for action in actions(live):
        act.run_action(live, action.id)
    assert slack.calls() == []
    assert all(r.requests or r.status == "skipped" for r in actions(live))


def test_sql_errors_never_carry_bound_values(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert engine.hide_parameters is True
    engine.dispose()


def test_a_missing_credential_dead_letters_at_once_naming_it(
    backend: str, workdir: Any, make_runtime: Any, monkeypatch: Any
) -> None:
    from tests.intake.handover_env import act_for_real

    monkeypatch.setenv("ACME_API_TOKEN", "t")  # the API token, but no platform credentials
    act_for_real(workdir / "acme.yaml")
    runtime: Runtime = make_runtime()
    process(runtime, "slack", escalating("slack"))
    note = row(runtime, "note")
    assert act.run_action(runtime, note.id) is ActionStatus.DEAD
    dead = row(runtime, "note")
    assert dead.attempts == 1
    assert "platforms.slack.bot_token" in (dead.last_error or "")
    assert "ACME_SL_TOKEN" in (dead.last_error or "")
