"""Slack teammates given as user groups: their members, looked up and cached per workspace.

On Slack anyone can post in a thread, so the workspace says who the human teammates are:
`platforms.slack.teammate_ids`, and `teammate_usergroups`, whose members the worker reads
with `usergroups.users.list` through the workspace's Slack client. Members are cached for
`TTL` seconds; when the lookup fails the last known members are kept (or none), a warning
is logged, and it is tried again after `RETRY` seconds: processing never waits on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from connectors.slack.client import SlackClient
from handover.clients import Clients
from handover.observability import get_logger

TTL, RETRY = 600.0, 60.0
log = get_logger("teammates")


@dataclass
class _Entry:
    members: frozenset[str]
    expires: float


class Teammates:
    """Members of the teammate user groups of each workspace, cached."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cache: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()

    def members(
        self, clients: Clients, workspace: str, usergroups: tuple[str, ...]
    ) -> frozenset[str]:
        """Return the union of the groups' members (cached; never raises)."""
        found: frozenset[str] = frozenset()
        for usergroup in usergroups:
            found |= self._group(clients, workspace, usergroup)
        return found

    def _group(self, clients: Clients, workspace: str, usergroup: str) -> frozenset[str]:
        key, now = (workspace, usergroup), self._clock()
        with self._lock:
            entry = self._cache.get(key)
        if entry is not None and entry.expires > now:
            return entry.members
        known = entry.members if entry else frozenset()
        try:
            client = clients.get(workspace, "slack", dry_run=False)  # a real lookup, always
            if not isinstance(client, SlackClient):
                raise TypeError("the workspace's Slack client cannot list user groups")
            members, ttl = client.usergroup_members(usergroup), TTL
        except Exception as exc:  # a lookup failure must not stop processing
            log.warning(
                "teammates.lookup_failed",
                workspace=workspace,
                usergroup=usergroup,
                error=f"{type(exc).__name__}: {str(exc)[:200]}",
            )
            members, ttl = known, RETRY
        with self._lock:
            self._cache[key] = _Entry(members, now + ttl)
        return members
