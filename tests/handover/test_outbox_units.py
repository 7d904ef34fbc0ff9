"""`handover.outbox` pure parts (backoff, payload round trip) and `states.should_reply`."""

from __future__ import annotations

import json
import random

import pytest

from connectors.actions import Action, ActionKind
from connectors.model import Platform
from handover.outbox import BACKOFF_BASE, BACKOFF_CAP, backoff, from_payload, to_payload
from handover.states import State, should_reply


class Extreme(random.Random):
    """A `random.Random` whose `uniform` answers one end of the range (lower or upper)."""

    def __init__(self, upper: bool) -> None:
        super().__init__(0)
        self.upper = upper
        self.asked: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.asked.append((a, b))
        return b if self.upper else a


@pytest.mark.parametrize(
    ("attempts", "ceiling"),
    [(0, 2.0), (1, 2.0), (2, 4.0), (3, 8.0), (5, 32.0), (8, 256.0), (9, 300.0), (20, 300.0)],
)
def test_backoff_is_exponential_and_capped(attempts: int, ceiling: float) -> None:
    assert BACKOFF_BASE == 2.0 and BACKOFF_CAP == 300.0
    low, high = Extreme(upper=False), Extreme(upper=True)
    assert backoff(attempts, high) == ceiling
    assert backoff(attempts, low) == ceiling / 2
    assert high.asked == [(ceiling / 2, ceiling)]


def test_backoff_never_exceeds_the_cap() -> None:
    rng = random.Random(1)
    waits = [backoff(attempts, rng) for attempts in range(0, 60) for _ in range(5)]
    assert max(waits) <= BACKOFF_CAP
    assert min(waits) >= BACKOFF_BASE / 2


@pytest.mark.parametrize("attempts", [1, 2, 4, 7, 12])
def test_backoff_jitter_stays_within_half_the_ceiling_and_the_ceiling(attempts: int) -> None:
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempts - 1))
    rng = random.Random(attempts)
    waits = [backoff(attempts, rng) for _ in range(300)]
    assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
    assert len(set(waits)) > 250  # jittered, not a constant
    # both halves of the range are used
    assert min(waits) < ceiling * 0.6 and max(waits) > ceiling * 0.9


def test_backoff_is_deterministic_with_a_seeded_random() -> None:
    first = [backoff(n, random.Random(42)) for n in range(1, 12)]
    again = [backoff(n, random.Random(42)) for n in range(1, 12)]
    assert first == again
    expected = random.Random(42).uniform(4.0, 8.0)
    assert backoff(3, random.Random(42)) == expected
    assert backoff(3, random.Random(43)) != expected


def test_backoff_without_a_random_uses_the_module_random(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[float, float]] = []

    def uniform(a: float, b: float) -> float:
        asked.append((a, b))
        return a

    monkeypatch.setattr(random, "uniform", uniform)  # what `outbox` uses without an rng
    assert backoff(4) == 8.0
    assert asked == [(8.0, 16.0)]


def sample_action(kind: ActionKind, platform: Platform) -> Action:
    return Action(
        kind,
        platform,
        "C07QX4M2B1N:1717000000.123400" if platform is Platform.SLACK else "5158",
        f"acme/{platform}/5158#2/{kind}",
        tags=("sys_escalation", "handoff_user_request") if kind is ActionKind.TAG else (),
        text="Escalated to a human\nIssue: «déjà vu» ☃" if kind is not ActionKind.TAG else "",
        target={"group_id": 360001, "custom_fields": {"123": "vip"}, "channel": "C0SUPPORT"},
        marker="hnd-0123456789abcdef" if kind in (ActionKind.NOTE, ActionKind.REPLY) else "",
        links={"state_api": "https://handoff.test/api/v1/x"},
    )


@pytest.mark.parametrize("platform", list(Platform))
@pytest.mark.parametrize("kind", list(ActionKind))
def test_payload_round_trips_every_kind(kind: ActionKind, platform: Platform) -> None:
    action = sample_action(kind, platform)
    payload = to_payload(action)
    stored = json.loads(json.dumps(payload))  # as the JSON column gives it back
    assert payload["kind"] == kind.value and payload["platform"] == platform.value
    assert isinstance(payload["tags"], list)
    assert from_payload(stored) == action
    assert from_payload(payload) == action
    rebuilt = from_payload(stored)
    assert rebuilt.kind is kind and rebuilt.platform is platform
    assert isinstance(rebuilt.tags, tuple)


def test_from_payload_fills_defaults_for_missing_optional_fields() -> None:
    minimal = {"kind": "suspend", "platform": "zendesk", "conversation_id": "1", "key": "k"}
    assert from_payload(minimal) == Action(ActionKind.SUSPEND, Platform.ZENDESK, "1", "k")


def test_from_payload_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError):
        from_payload({"kind": "delete", "platform": "zendesk", "conversation_id": "1", "key": "k"})


SHOULD_REPLY = {
    (State.BOT, False): True,
    (State.BOT, True): True,
    (State.COLLECTING, False): True,
    (State.COLLECTING, True): True,
    (State.ESCALATED, False): True,
    (State.ESCALATED, True): False,
    (State.WITH_TEAM, False): False,
    (State.WITH_TEAM, True): False,
}


def test_the_should_reply_table_covers_every_state() -> None:
    assert {state for state, _ in SHOULD_REPLY} == set(State)


@pytest.mark.parametrize(("state", "suspend"), list(SHOULD_REPLY))
def test_should_reply(state: State, suspend: bool) -> None:
    assert should_reply(state, suspend) is SHOULD_REPLY[(state, suspend)]
