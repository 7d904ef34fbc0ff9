"""The pure intake rules (gateway.py): no app, no database, real signatures."""

from __future__ import annotations

import json

import pytest

import gateway
from connectors.model import Platform
from tests.connectors.connector_fixtures import raw_fixture
from tests.web.signing import SECRETS, signed, with_id, without_id

EVENTS = {
    "zendesk": ("ticket.comment_added", "zen:event-type:ticket.comment_added"),
    "intercom": ("conversation.user.replied", "conversation.user.replied"),
    "slack": ("message.channels", "message.channels"),
}
PLATFORMS = sorted(EVENTS)


def screen(platform: str, body: bytes, headers: dict[str, str]) -> gateway.Answer | gateway.Accept:
    inbound = gateway.inbound_for(platform)
    assert inbound is not None
    return gateway.screen(inbound, SECRETS[platform], headers, body)


def answer(outcome: gateway.Answer | gateway.Accept) -> gateway.Answer:
    assert isinstance(outcome, gateway.Answer), outcome
    return outcome


@pytest.mark.parametrize("platform", PLATFORMS)
def test_signed_event_is_accepted_with_its_type_and_dedupe_id(platform: str) -> None:
    fixture, event_type = EVENTS[platform]
    body = with_id(raw_fixture(platform, fixture), platform, "delivery-1")
    outcome = screen(platform, body, signed(platform, body))
    assert outcome == gateway.Accept(event_type, "delivery-1")


def test_every_fixture_of_a_handled_type_is_accepted() -> None:
    from tests.connectors.connector_fixtures import fixture_names

    accepted = 0
    for platform in PLATFORMS:
        for name in fixture_names(platform):
            body = raw_fixture(platform, name)
            outcome = screen(platform, body, signed(platform, body))
            handshake = name in ("ping", "url_verification")
            assert isinstance(outcome, gateway.Answer) is handshake, (platform, name)
            accepted += not handshake
    assert accepted >= 20


BAD_SIGNATURES = [
    (platform, case, reason)
    for platform in PLATFORMS
    for case, reason in [
        ("unsigned", "missing"),
        ("forged", "mismatch"),
        ("tampered", "mismatch"),
        ("stale", "stale"),
    ]
    if not (platform == "intercom" and case == "stale")  # Intercom signs no timestamp
]


@pytest.mark.parametrize(("platform", "case", "reason"), BAD_SIGNATURES)
def test_bad_signatures_are_401_with_the_failed_check(
    platform: str, case: str, reason: str
) -> None:
    body = raw_fixture(platform, EVENTS[platform][0])
    headers = {
        "unsigned": {"Content-Type": "application/json"},
        "forged": signed(platform, body, secret="not-the-secret"),
        "tampered": signed(platform, body),
        "stale": signed(platform, body, age=301),
    }[case]
    sent = body.replace(b"}", b" }", 1) if case == "tampered" else body
    result = answer(screen(platform, sent, headers))
    assert (result.status, result.body) == (401, {"error": "invalid signature", "reason": reason})
    assert SECRETS[platform] not in json.dumps(result.fields)


@pytest.mark.parametrize("platform", ["zendesk", "slack"])
def test_timestamps_inside_the_window_pass(platform: str) -> None:
    body = raw_fixture(platform, EVENTS[platform][0])
    assert isinstance(screen(platform, body, signed(platform, body, age=290)), gateway.Accept)
    assert isinstance(screen(platform, body, signed(platform, body, age=-290)), gateway.Accept)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe{}", b"[" * 100_000]
)
def test_signed_bodies_that_are_not_json_objects_are_400(platform: str, body: bytes) -> None:
    result = answer(screen(platform, body, signed(platform, body)))
    if platform == "slack" and body.startswith(b"\xff"):
        assert result.status == 401  # slack-sdk's verifier refuses bodies that are not UTF-8
        return
    assert (result.status, result.body["reason"]) == (400, "body is not a JSON object")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_handled_event_without_a_dedupe_id_is_400(platform: str) -> None:
    body = without_id(raw_fixture(platform, EVENTS[platform][0]), platform)
    result = answer(screen(platform, body, signed(platform, body)))
    assert result.status == 400
    assert result.body["reason"].startswith("no delivery id")


def test_zendesk_falls_back_to_the_invocation_header_for_other_bodies() -> None:
    body = b'{"type": "zen:event-type:ticket.comment_added"}'
    assert answer(screen("zendesk", body, signed("zendesk", body))).status == 400


@pytest.mark.parametrize(
    ("platform", "body", "event_type"),
    [
        ("zendesk", {"type": "zen:event-type:ticket.priority_changed", "id": "z1"}, None),
        ("intercom", {"topic": "conversation.read", "id": "notif_1"}, None),
        ("slack", {"type": "app_rate_limited", "team_id": "T1"}, "app_rate_limited"),
        (
            "slack",
            {"type": "event_callback", "event_id": "E1", "event": {"type": "reaction_added"}},
            None,
        ),
    ],
)
def test_unhandled_event_types_are_200_ignored(
    platform: str, body: dict[str, object], event_type: str | None
) -> None:
    raw = json.dumps(body).encode()
    result = answer(screen(platform, raw, signed(platform, raw)))
    assert (result.status, result.body, result.log) == (
        200,
        {"status": "ignored"},
        "webhook.ignored",
    )
    assert result.fields["event_type"] in (
        event_type,
        body.get("type"),
        body.get("topic"),
        "reaction_added",
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_body_without_an_event_type_is_400(platform: str) -> None:
    raw = b'{"id": "x", "event_id": "y"}'
    result = answer(screen(platform, raw, signed(platform, raw)))
    assert (result.status, result.body["reason"][:13]) == (400, "no event type")


def test_slack_url_verification_is_answered_with_the_challenge() -> None:
    body = raw_fixture("slack", "url_verification")
    result = answer(screen("slack", body, signed("slack", body)))
    challenge = json.loads(body)["challenge"]
    assert (result.status, result.body) == (200, {"challenge": challenge})


def test_slack_url_verification_must_be_signed_and_carry_a_challenge() -> None:
    body = raw_fixture("slack", "url_verification")
    assert answer(screen("slack", body, {})).status == 401
    empty = b'{"type": "url_verification", "challenge": ""}'
    assert answer(screen("slack", empty, signed("slack", empty))).status == 400


def test_intercom_ping_is_answered_and_not_accepted() -> None:
    body = raw_fixture("intercom", "ping")
    result = answer(screen("intercom", body, signed("intercom", body)))
    assert (result.status, result.body) == (200, {"status": "pong"})


def test_unknown_platforms_have_no_rules() -> None:
    assert gateway.inbound_for("teams") is None
    assert gateway.inbound_for("slack").platform is Platform.SLACK  # type: ignore[union-attr]


def test_sizes_over_the_limit_are_413() -> None:
    assert gateway.too_large(None, 1024) is None
    assert gateway.too_large(1024, 1024) is None
    result = gateway.too_large(1025, 1024)
    assert result is not None and (result.status, result.fields) == (413, {"limit": "1024"})


class Trickle:
    """An input stream that hands out at most `step` bytes per read and counts what it gave."""

    def __init__(self, data: bytes, step: int = 7) -> None:
        self.data, self.step, self.given, self.reads = data, step, 0, 0

    def read(self, size: int = -1, /) -> bytes:
        self.reads += 1
        wanted = self.step if size < 0 else min(size, self.step)
        chunk = self.data[self.given : self.given + wanted]
        self.given += len(chunk)
        return chunk


@pytest.mark.parametrize("size", [0, 1, 1023, 1024])
def test_a_body_up_to_the_limit_is_read_whole_with_or_without_a_length(size: int) -> None:
    body = bytes(range(256)) * 4
    assert gateway.read_body(Trickle(body[:size]), None, 1024) == body[:size]
    assert gateway.read_body(Trickle(body[:size]), size, 1024) == body[:size]


def test_a_body_of_unknown_length_over_the_limit_is_413_after_one_byte_past_it() -> None:
    stream = Trickle(b"x" * 5000, step=300)
    result = gateway.read_body(stream, None, 1024)
    assert isinstance(result, gateway.Answer)
    assert (result.status, result.body) == (413, {"error": "body too large"})
    assert stream.given == 1025  # the rest of the body is never read


def test_a_declared_length_over_the_limit_is_413_without_reading() -> None:
    stream = Trickle(b"x" * 2000)
    result = gateway.read_body(stream, 2000, 1024)
    assert isinstance(result, gateway.Answer) and result.status == 413
    assert stream.reads == 0


def test_a_declared_length_is_read_exactly_in_bounded_chunks() -> None:
    stream = Trickle(b"a" * 200_000 + b"trailing", step=1_000_000)
    assert gateway.read_body(stream, 200_000, 300_000) == b"a" * 200_000
    assert stream.given == 200_000 and stream.reads == 4  # 64 KiB at a time


def test_a_stream_that_ends_early_gives_what_arrived() -> None:
    assert gateway.read_body(Trickle(b"short"), 100, 1024) == b"short"


def test_a_missing_secret_is_503_and_named_in_the_log_only() -> None:
    result = gateway.secret_unset("ACME_ZENDESK_WEBHOOK_SECRET")
    assert result.status == 503
    assert result.fields == {"secret": "ACME_ZENDESK_WEBHOOK_SECRET"}
    assert "ACME" not in json.dumps(result.body)


def test_not_found_has_one_body() -> None:
    assert (
        gateway.not_found().body == gateway.not_found(workspace="x").body == {"error": "not found"}
    )


def test_slack_is_told_not_to_retry_requests_it_can_never_pass_only() -> None:
    assert gateway.extra_headers("slack", 400) == {"X-Slack-No-Retry": "1"}
    assert gateway.extra_headers("slack", 413) == {"X-Slack-No-Retry": "1"}
    assert gateway.extra_headers("slack", 401) == {}
    assert gateway.extra_headers("slack", 503) == {}
    assert gateway.extra_headers("zendesk", 401) == {}
