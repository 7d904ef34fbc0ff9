"""A test runtime that acts for real against local fakes of the three platforms' APIs.

The workspace is the intake suite's `acme` with `handover.dry_run` off and API settings for
each platform; clients are built by `build_fake_client`, aimed at `responses` (Zendesk,
`https://acme.zendesk.com`), respx (Intercom, `https://intercom.test`) and the loopback
`SlackFake`. Secrets come from the environment by NAME, as in production.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import responses
import respx
import yaml

from connectors.actions import ActionClient
from connectors.intercom.client import IntercomClient, IntercomCredentials
from connectors.slack.client import SlackClient
from connectors.zendesk.client import ZendeskClient, ZendeskCredentials
from handover.clients import build_client
from handover.workspaces import Workspaces
from tests.connectors.slack_fake import SlackFake

ZENDESK = "https://acme.zendesk.com/api/v2"
INTERCOM = "https://intercom.test"
SECRETS = {
    "ACME_ZD_TOKEN": "zd-api-token",
    "ACME_IC_TOKEN": "ic-access-token",
    "ACME_SL_TOKEN": "xoxb-slack-token",
    "ACME_API_TOKEN": "state-api-token",
}
API_SETTINGS = {
    "zendesk": {
        "subdomain": "acme",
        "api_email": "handoff@acme.test",
        "api_token": "ACME_ZD_TOKEN",
    },
    "intercom": {"access_token": "ACME_IC_TOKEN", "admin_id": "6023411"},
    "slack": {"bot_token": "ACME_SL_TOKEN"},
}


def act_for_real(workspace_file: Path, **handover: Any) -> None:
    """Rewrite the test workspace: dry run off, API settings, the state API token."""
    data = yaml.safe_load(workspace_file.read_text(encoding="utf-8"))
    for platform, settings in API_SETTINGS.items():
        data["platforms"][platform].update(settings)
    data["handover"] = {
        "dry_run": False,
        "api_token": "ACME_API_TOKEN",
        "max_attempts": 3,
        "routing_tags": ["handoff_{signal}"],
    }
    data["handover"].update(handover)
    workspace_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def fake_builder(slack: SlackFake) -> Any:
    """Return a `Clients` builder whose clients talk to the fakes."""

    def build(
        workspaces: Workspaces, workspace: str, platform: str, dry_run: bool | None = None
    ) -> ActionClient:
        if dry_run:  # planned in dry run: the real dry-run client, which sends nothing
            return build_client(workspaces, workspace, platform, dry_run=True)
        if platform == "zendesk":
            credentials = ZendeskCredentials("acme", "handoff@acme.test", SECRETS["ACME_ZD_TOKEN"])
            return ZendeskClient(credentials)
        if platform == "intercom":
            token = SECRETS["ACME_IC_TOKEN"]
            return IntercomClient(IntercomCredentials(token, "6023411", base_url=INTERCOM))
        return SlackClient(SECRETS["ACME_SL_TOKEN"], base_url=slack.base_url, timeout=0.5)

    return build


def zendesk_routes(mock: responses.RequestsMock, ticket: str) -> None:
    """Answer Zendesk's tags and ticket-update calls for `ticket`."""
    mock.add(responses.PUT, f"{ZENDESK}/tickets/{ticket}/tags.json", json={"tags": ["x"]})
    audit = {"ticket": {"id": int(ticket)}, "audit": {"events": [{"type": "Comment", "id": 9}]}}
    mock.add(responses.PUT, f"{ZENDESK}/tickets/{ticket}.json", json=audit)


def intercom_routes(router: respx.MockRouter, conversation: str) -> None:
    """Answer Intercom's tag, reply and parts calls for `conversation`."""
    tag = {"type": "tag", "id": "81", "name": "sys_escalation"}
    router.post(f"{INTERCOM}/tags").mock(return_value=httpx.Response(200, json=tag))
    found = {"type": "conversation", "id": conversation}
    base = f"{INTERCOM}/conversations/{conversation}"
    router.post(f"{base}/tags").mock(return_value=httpx.Response(200, json=tag))
    router.post(f"{base}/reply").mock(return_value=httpx.Response(200, json=found))
    router.post(f"{base}/parts").mock(return_value=httpx.Response(200, json=found))
