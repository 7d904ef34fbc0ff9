"""`handover.clients`: building each platform's client from a workspace, and the cache."""

from __future__ import annotations

import base64
import dataclasses
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import responses
import respx
import yaml
from slack_sdk import WebClient

from connectors.actions import Action, ActionClient, ActionKind
from connectors.intercom.client import IntercomClient
from connectors.model import Platform
from connectors.slack.client import SlackClient
from connectors.zendesk.client import ZendeskClient
from escalation.policy import ConfigInvalid, parse_policy
from handover.clients import Clients, ClientUnavailable, build_client
from handover.workspaces import Workspaces
from tests.connectors.slack_fake import SlackFake

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workspace.yaml"
WS = "acme"
SECRET_VALUES = {
    "TEST_CLIENTS_ZD_TOKEN": "zd-token-value",
    "TEST_CLIENTS_IC_TOKEN": "ic-token-value",
    "TEST_CLIENTS_SL_TOKEN": "xoxb-token-value",
    "TEST_CLIENTS_SUN_KEY": "sun-key-id",
    "TEST_CLIENTS_SUN_SECRET": "sun-key-secret",
}
WEBHOOK = {"webhook_secret": "TEST_CLIENTS_HOOK"}
FULL = {
    "zendesk": {
        **WEBHOOK,
        "subdomain": "acme",
        "api_email": "handoff@acme.test",
        "api_token": "TEST_CLIENTS_ZD_TOKEN",
    },
    "intercom": {**WEBHOOK, "access_token": "TEST_CLIENTS_IC_TOKEN", "admin_id": "6023411"},
    "slack": {**WEBHOOK, "bot_token": "TEST_CLIENTS_SL_TOKEN", "reaction": "eyes"},
}
BARE = {name: dict(WEBHOOK) for name in FULL}
"""Every platform configured for webhooks only: no API settings or secrets at all."""
TYPES: dict[str, type[Any]] = {
    "zendesk": ZendeskClient,
    "intercom": IntercomClient,
    "slack": SlackClient,
}
CONVERSATIONS = {"zendesk": "5158", "intercom": "215469620112938", "slack": "C07QX4M2B1N:17.1"}


def workspace_yaml(platforms: dict[str, Any], *, dry_run: bool) -> str:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["workspace"] = WS
    data["platforms"] = platforms
    data["handover"]["dry_run"] = dry_run
    return yaml.safe_dump(data, allow_unicode=True)


def workspaces(platforms: dict[str, Any], *, dry_run: bool) -> Workspaces:
    policy = parse_policy(workspace_yaml(platforms, dry_run=dry_run), "clients.yaml")
    return Workspaces({WS: policy}, secrets={})


def unchecked(platforms: dict[str, Any]) -> Workspaces:
    """Dry run off on settings that the config check would refuse (it runs in dry run).

    `load_policy` already refuses a missing API setting when dry run is off; this is the
    policy `build_client` would see if that check were bypassed (its own guard).
    """
    policy = parse_policy(workspace_yaml(platforms, dry_run=True), "clients.yaml")
    acting = policy.model.handover.model_copy(update={"dry_run": False})
    model = policy.model.model_copy(update={"handover": acting})
    return Workspaces({WS: dataclasses.replace(policy, model=model)}, secrets={})


def changed(platform: str, **settings: Any) -> dict[str, Any]:
    """The full settings with some of `platform`'s keys changed (None removes a key)."""
    platforms = {name: dict(values) for name, values in FULL.items()}
    for key, value in settings.items():
        if value is None:
            platforms[platform].pop(key, None)
        else:
            platforms[platform][key] = value
    return platforms


def tag(platform: str) -> Action:
    return Action(
        ActionKind.TAG,
        Platform(platform),
        CONVERSATIONS[platform],
        f"{WS}/{platform}/{CONVERSATIONS[platform]}#1/tag",
        tags=("sys_escalation",),
    )


@pytest.fixture
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_VALUES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRET_VALUES.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to resolve or open a network connection fail the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network used: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


# --- dry run ------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", list(TYPES))
def test_dry_run_builds_each_client_without_any_credentials(
    platform: str, no_secrets: None
) -> None:
    client = build_client(workspaces(BARE, dry_run=True), WS, platform)
    assert isinstance(client, TYPES[platform])
    assert client.platform is Platform(platform)
    assert getattr(client, "dry_run") is True  # noqa: B009 - not every ActionClient has it


def test_dry_run_ignores_secrets_that_are_set(secrets: None) -> None:
    client = build_client(workspaces(FULL, dry_run=True), WS, "slack")
    assert isinstance(client, SlackClient) and client.dry_run is True


@pytest.mark.parametrize(
    ("platform", "method", "url", "said"),
    [
        (
            "zendesk",
            "PUT",
            "https://handoff-dry-run.zendesk.com/api/v2/tickets/5158/tags.json",
            "sys_escalation",
        ),
        ("intercom", "POST", "https://api.intercom.io/tags", "sys_escalation"),
        ("slack", "POST", "https://slack.com/api/reactions.add", "rotating_light"),
    ],
)
def test_a_dry_run_client_records_requests_without_the_network(
    platform: str, method: str, url: str, said: str, no_secrets: None, offline: None
) -> None:
    client = build_client(workspaces(BARE, dry_run=True), WS, platform)
    outcome = client.perform(tag(platform))
    assert outcome.requests, "the dry run records what it would send"
    first = outcome.requests[0]
    assert (first.method, first.url) == (method, url)
    assert said in str([request.body for request in outcome.requests])


# --- dry run off: missing settings and secrets -----------------------------------------


@pytest.mark.parametrize(
    ("platform", "settings", "key"),
    [
        ("zendesk", {"subdomain": None}, "platforms.zendesk.subdomain"),
        ("zendesk", {"api_email": None}, "platforms.zendesk.api_email"),
        ("zendesk", {"api_token": None}, "platforms.zendesk.api_token"),
        ("intercom", {"access_token": None}, "platforms.intercom.access_token"),
        ("intercom", {"admin_id": None}, "platforms.intercom.admin_id"),
        ("slack", {"bot_token": None}, "platforms.slack.bot_token"),
    ],
)
def test_a_missing_setting_raises_client_unavailable_naming_the_key(
    platform: str, settings: dict[str, Any], key: str, secrets: None
) -> None:
    with pytest.raises(ConfigInvalid, match=key.replace(".", r"\.") + ": required to act"):
        workspaces(changed(platform, **settings), dry_run=False)
    ws = unchecked(changed(platform, **settings))
    assert ws.policy(WS).model.handover.dry_run is False
    with pytest.raises(ClientUnavailable, match=key.replace(".", r"\.")) as raised:
        build_client(ws, WS, platform)
    assert "is not set" in str(raised.value)


@pytest.mark.parametrize(
    ("platform", "secret", "key"),
    [
        ("zendesk", "TEST_CLIENTS_ZD_TOKEN", "platforms.zendesk.api_token"),
        ("intercom", "TEST_CLIENTS_IC_TOKEN", "platforms.intercom.access_token"),
        ("slack", "TEST_CLIENTS_SL_TOKEN", "platforms.slack.bot_token"),
    ],
)
def test_a_missing_secret_raises_client_unavailable_naming_key_and_secret(
    platform: str, secret: str, key: str, secrets: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(secret)
    with pytest.raises(ClientUnavailable) as raised:
        build_client(workspaces(FULL, dry_run=False), WS, platform)
    message = str(raised.value)
    assert f"{WS}: {key}" in message and secret in message
    assert SECRET_VALUES[secret] not in message


def test_a_missing_sunshine_secret_names_its_key(
    secrets: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sunshine = {"app_id": "app1", "key_id": "TEST_CLIENTS_SUN_KEY", "key_secret": "NOPE_UNSET"}
    monkeypatch.delenv("NOPE_UNSET", raising=False)
    ws = workspaces(changed("zendesk", sunshine=sunshine), dry_run=False)
    with pytest.raises(ClientUnavailable, match=r"platforms\.zendesk\.sunshine\.key_secret"):
        build_client(ws, WS, "zendesk")


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_platform_the_workspace_does_not_configure_is_unavailable(dry_run: bool) -> None:
    only_slack = {"slack": dict(FULL["slack"])}
    with pytest.raises(ClientUnavailable, match=r"platforms\.zendesk is not configured"):
        build_client(workspaces(only_slack, dry_run=dry_run), WS, "zendesk")


def test_a_secret_from_the_secrets_file_is_used(no_secrets: None) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data.update(workspace=WS, platforms={"slack": FULL["slack"]})
    data["handover"]["dry_run"] = False
    policy = parse_policy(yaml.safe_dump(data), "clients.yaml")
    ws = Workspaces({WS: policy}, secrets={"TEST_CLIENTS_SL_TOKEN": "xoxb-from-file"})
    client = build_client(ws, WS, "slack")
    assert isinstance(client, SlackClient) and client.dry_run is False


# --- dry run off: real clients with the secrets' values ---------------------------------


@pytest.mark.parametrize("platform", list(TYPES))
def test_with_secrets_set_it_builds_real_clients(platform: str, secrets: None) -> None:
    client = build_client(workspaces(FULL, dry_run=False), WS, platform)
    assert isinstance(client, TYPES[platform])
    assert getattr(client, "dry_run") is False  # noqa: B009


def test_the_real_zendesk_client_sends_with_the_secret(secrets: None) -> None:
    client = build_client(workspaces(FULL, dry_run=False), WS, "zendesk")
    url = "https://acme.zendesk.com/api/v2/tickets/5158/tags.json"
    with responses.RequestsMock() as mock:
        mock.add(responses.PUT, url, json={"tags": ["sys_escalation"]})
        outcome = client.perform(tag("zendesk"))
        sent = mock.calls[0].request
    expected = base64.b64encode(b"handoff@acme.test/token:zd-token-value").decode()
    assert sent.headers["Authorization"] == f"Basic {expected}"
    assert [(r.method, r.url) for r in outcome.requests] == [("PUT", url)]


def test_the_real_intercom_client_sends_with_the_secret(secrets: None) -> None:
    client = build_client(workspaces(FULL, dry_run=False), WS, "intercom")
    base = "https://api.intercom.io"
    found = {"type": "tag", "id": "81", "name": "sys_escalation"}
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{base}/tags").mock(return_value=httpx.Response(200, json=found))
        router.post(f"{base}/conversations/{CONVERSATIONS['intercom']}/tags").mock(
            return_value=httpx.Response(200, json=found)
        )
        client.perform(tag("intercom"))
        sent = router.calls[0].request
    assert sent.headers["Authorization"] == "Bearer ic-token-value"
    assert sent.headers["Intercom-Version"] == "2.14"


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake() as fake:
        yield fake


def test_the_real_slack_client_sends_with_the_secret_and_reaction(
    secrets: None, slack: SlackFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(WebClient, "BASE_URL", slack.base_url)
    client = build_client(workspaces(FULL, dry_run=False), WS, "slack")
    client.perform(tag("slack"))
    (call,) = slack.calls("reactions.add")
    assert call.header("Authorization") == "Bearer xoxb-token-value"
    assert call.body["name"] == "eyes"


# --- Clients: one client per workspace, platform and thread -----------------------------


class Counting:
    """A builder that counts what it built."""

    def __init__(self) -> None:
        self.built: list[tuple[str, str]] = []

    def __call__(
        self, workspaces: Workspaces, workspace: str, platform: str, dry_run: bool | None = None
    ) -> ActionClient:
        self.built.append((workspace, platform))
        return build_client(workspaces, workspace, platform, dry_run)


def test_clients_are_cached_within_a_thread() -> None:
    builder = Counting()
    clients = Clients(workspaces(BARE, dry_run=True), build=builder)
    first = clients.get(WS, "slack")
    assert clients.get(WS, "slack") is first
    assert builder.built == [(WS, "slack")]
    other = clients.get(WS, "zendesk")
    assert other is not first and isinstance(other, ZendeskClient)
    assert builder.built == [(WS, "slack"), (WS, "zendesk")]


def test_two_threads_get_their_own_client() -> None:
    builder = Counting()
    clients = Clients(workspaces(BARE, dry_run=True), build=builder)
    got: dict[str, list[ActionClient]] = {"a": [], "b": []}
    together = threading.Barrier(2, timeout=5)

    def work(name: str) -> None:
        got[name].append(clients.get(WS, "slack"))
        together.wait()  # both threads alive at once: their idents differ
        got[name].append(clients.get(WS, "slack"))

    threads = [threading.Thread(target=work, args=(name,)) for name in got]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    (a1, a2), (b1, b2) = got["a"], got["b"]
    assert a1 is a2 and b1 is b2
    assert a1 is not b1
    assert len(builder.built) == 2
    assert clients.get(WS, "slack") not in (a1, b1)  # the main thread has its own too


def test_a_build_failure_is_not_cached(secrets: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_CLIENTS_SL_TOKEN")
    clients = Clients(workspaces(FULL, dry_run=False))
    with pytest.raises(ClientUnavailable):
        clients.get(WS, "slack")
    monkeypatch.setenv("TEST_CLIENTS_SL_TOKEN", "xoxb-late")
    assert isinstance(clients.get(WS, "slack"), SlackClient)
