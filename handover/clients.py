"""The platform clients a worker acts through, built once per workspace and platform.

`build_client` turns a workspace's `platforms.<platform>` settings into the connector's
client, resolving secrets by NAME. With `handover.dry_run` the client runs its dry-run
transport (the exact requests are recorded, nothing is sent) and needs no credentials;
otherwise a missing setting or secret raises `ClientUnavailable`, which `act` records
as the action's error and dead-letters at once (no retry can succeed), visibly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from connectors.actions import ActionClient
from connectors.intercom.client import IntercomClient, IntercomCredentials
from connectors.slack.client import SlackClient
from connectors.zendesk.client import SunshineCredentials, ZendeskClient, ZendeskCredentials
from escalation.policy_platforms import IntercomSettings, SlackSettings, ZendeskSettings
from handover.workspaces import SecretMissing, Workspaces

DRY = "dry-run"
"""Placeholder for credentials a dry-run client never sends."""


class ClientUnavailable(RuntimeError):
    """A workspace's platform client cannot be built (names the missing setting)."""


Builder = Callable[[Workspaces, str, str, bool | None], ActionClient]


def build_client(
    workspaces: Workspaces, workspace: str, platform: str, dry_run: bool | None = None
) -> ActionClient:
    """Build the client of one workspace on one platform.

    `dry_run` None means the workspace's `handover.dry_run`; an action passes the mode it
    was planned in, so switching the workspace's mode never sends what was planned as a
    dry run, nor fakes what was planned to be sent.
    """
    policy = workspaces.policy(workspace)
    settings = getattr(policy.model.platforms, platform, None)
    dry_run = policy.model.handover.dry_run if dry_run is None else dry_run
    secret = _resolver(workspaces, dry_run, f"{workspace}: platforms.{platform}")
    if isinstance(settings, ZendeskSettings):
        return ZendeskClient(_zendesk(settings, secret, dry_run), dry_run=dry_run)
    if isinstance(settings, IntercomSettings):
        return IntercomClient(_intercom(settings, secret, dry_run), dry_run=dry_run)
    if isinstance(settings, SlackSettings):
        token = secret("bot_token", settings.bot_token)
        return SlackClient(token, reaction=settings.reaction, dry_run=dry_run)
    raise ClientUnavailable(f"{workspace}: platforms.{platform} is not configured")


def _resolver(
    workspaces: Workspaces, dry_run: bool, where: str
) -> Callable[[str, str | None], str]:
    """Return `secret(key, NAME)`: the value, a placeholder in dry run, or an error."""

    def secret(key: str, name: str | None) -> str:
        if dry_run:
            return DRY
        if name is None:
            raise ClientUnavailable(f"{where}.{key} is not set (needed unless handover.dry_run)")
        try:
            return workspaces.secret(name).value
        except SecretMissing as exc:
            raise ClientUnavailable(f"{where}.{key}: {exc}") from None

    return secret


def _setting(value: object, dry_run: bool, where: str, placeholder: str = DRY) -> str:
    """A required non-secret setting; `placeholder` stands in for it in dry run."""
    if value is None or value == "":
        if dry_run:
            return placeholder
        raise ClientUnavailable(f"{where} is not set (needed unless handover.dry_run)")
    return str(value)


def _zendesk(
    settings: ZendeskSettings, secret: Callable[[str, str | None], str], dry_run: bool
) -> ZendeskCredentials:
    sunshine = None
    if settings.sunshine is not None:
        sun = settings.sunshine
        sunshine = SunshineCredentials(
            sun.app_id,
            secret("sunshine.key_id", sun.key_id),
            secret("sunshine.key_secret", sun.key_secret),
            base_url=sun.base_url,
            switchboard_target=sun.switchboard_target,
        )
    return ZendeskCredentials(
        subdomain=_setting(
            settings.subdomain, dry_run, "platforms.zendesk.subdomain", "handoff-dry-run"
        ),
        email=_setting(settings.api_email, dry_run, "platforms.zendesk.api_email"),
        token=secret("api_token", settings.api_token),
        sunshine=sunshine,
    )


def _intercom(
    settings: IntercomSettings, secret: Callable[[str, str | None], str], dry_run: bool
) -> IntercomCredentials:
    return IntercomCredentials(
        token=secret("access_token", settings.access_token),
        admin_id=_setting(settings.admin_id, dry_run, "platforms.intercom.admin_id"),
        region=settings.region,
        api_version=settings.api_version,
    )


class Clients:
    """A cache of built clients per (workspace, platform, thread)."""

    def __init__(self, workspaces: Workspaces, build: Builder = build_client) -> None:
        self._workspaces = workspaces
        self._build = build
        self._built: dict[tuple[str, str, bool | None, int], ActionClient] = {}
        self._lock = threading.Lock()

    def get(self, workspace: str, platform: str, dry_run: bool | None = None) -> ActionClient:
        """Return this thread's client of the workspace on `platform` (built on first use).

        `dry_run` as in `build_client` (None: the workspace's setting).

        One client per worker thread: a client records the requests of the action it is
        performing, so two threads never share one.
        """
        with self._lock:
            key = (workspace, platform, dry_run, threading.get_ident())
            if key not in self._built:
                self._built[key] = self._build(self._workspaces, workspace, platform, dry_run)
            return self._built[key]
