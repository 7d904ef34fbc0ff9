"""Checks between a workspace file's sections: every name it refers to must be defined.

They read the raw YAML mapping, defensively, so they run alongside the shape checks and
every problem is reported at once even when some keys have the wrong type.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from typing import Any


def reference_problems(raw: dict[str, Any]) -> list[str]:
    """One `key.path: problem` line per undefined reference, bad pattern or duplicate name."""
    return [
        *_topic_references(raw),
        *_sub_agent_problems(raw),
        *_gateway_problems(raw),
        *_credential_problems(raw),
    ]


def undefined(kind: str, name: str, defined: Iterable[str]) -> str:
    """`topic 'x' is not defined (did you mean 'y'?); defined: ...`."""
    names = sorted(defined)
    near = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    listed = ", ".join(names) if names else "none are defined"
    return f"{kind} '{name}' is not defined{hint}; defined: {listed}"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> list[tuple[int, str]]:
    return (
        [(i, v) for i, v in enumerate(value) if isinstance(v, str)]
        if isinstance(value, list)
        else []
    )


def _topic_references(raw: dict[str, Any]) -> Iterator[str]:
    topics = _mapping(raw.get("topics"))
    escalation = _mapping(raw.get("escalation"))
    references = [
        ("scope.topics", _mapping(raw.get("scope")).get("topics")),
        ("escalation.only_topics", escalation.get("only_topics")),
        ("escalation.always_topics", escalation.get("always_topics")),
        *[
            (f"sub_agents.{name}.topics", _mapping(agent).get("topics"))
            for name, agent in _mapping(raw.get("sub_agents")).items()
        ],
    ]
    for path, names in references:
        for index, name in _names(names):
            if name not in topics:
                yield f"{path}[{index}]: {undefined('topic', name, topics)}"


def _sub_agent_problems(raw: dict[str, Any]) -> Iterator[str]:
    for agent_name, agent in _mapping(raw.get("sub_agents")).items():
        seen: set[str] = set()
        items = _mapping(agent).get("collect")
        for index, item in enumerate(items if isinstance(items, list) else []):
            path = f"sub_agents.{agent_name}.collect[{index}]"
            item = _mapping(item)
            name = item.get("name")
            if isinstance(name, str) and name in seen:
                yield f"{path}.name: duplicate detail name '{name}'"
            seen.add(str(name))
            yield from _collect_item_problems(path, item)


def _collect_item_problems(path: str, item: dict[str, Any]) -> Iterator[str]:
    pattern = item.get("pattern")
    if item.get("kind") == "pattern" and not pattern:
        yield f"{path}.pattern: kind 'pattern' needs a pattern"
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
        except re.error as exc:
            yield f"{path}.pattern: invalid regular expression: {exc}"


def _gateway_problems(raw: dict[str, Any]) -> Iterator[str]:
    gateway = _mapping(raw.get("gateway"))
    targets = _mapping(gateway.get("targets"))
    agents = _mapping(raw.get("sub_agents"))
    target = gateway.get("target")
    if isinstance(target, str) and target not in targets:
        yield f"gateway.target: {undefined('target', target, targets)}"
    rules = gateway.get("handover_rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        path = f"gateway.handover_rules[{index}]"
        rule = _mapping(rule)
        rule_target = rule.get("target")
        if isinstance(rule_target, str) and rule_target not in targets:
            yield f"{path}.target: {undefined('target', rule_target, targets)}"
        for position, agent in _names(rule.get("sub_agents")):
            if agent not in agents:
                yield f"{path}.sub_agents[{position}]: {undefined('sub agent', agent, agents)}"


API_KEYS = {
    "zendesk": ("subdomain", "api_email", "api_token"),
    "intercom": ("access_token", "admin_id"),
    "slack": ("bot_token",),
}
"""What each platform needs to act when `handover.dry_run` is off."""


def _credential_problems(raw: dict[str, Any]) -> Iterator[str]:
    """Acting for real needs each configured platform's API settings."""
    if _mapping(raw.get("handover")).get("dry_run", False):
        return
    platforms = _mapping(raw.get("platforms"))
    for platform, keys in API_KEYS.items():
        settings = platforms.get(platform)
        if not isinstance(settings, dict):
            continue
        for key in keys:
            if settings.get(key) in (None, ""):
                yield (
                    f"platforms.{platform}.{key}: required to act on {platform} "
                    "(or set handover.dry_run: true to record the requests instead)"
                )
