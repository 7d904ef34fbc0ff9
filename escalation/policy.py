"""Workspace YAML → a frozen, validated `Policy`.

`load_policy(path)` reads the file and reports every problem at once as `ConfigInvalid`,
one line each, naming the file, the key path and what is wrong: unknown keys (with the
nearest valid key), wrong types, missing required keys, undefined references, invalid
regular expressions and duplicate names. Shape problems (keys and types) are reported
first; references between sections are checked once the shapes are right. The shapes
live in `policy_model.py`; how a free-text `escalation.instruction` becomes topics lives
in `instruction.py`.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from escalation.instruction import Narrowing, interpret_instruction
from escalation.policy_errors import describe_errors
from escalation.policy_model import (
    CollectItem,
    DetailKind,
    SubAgent,
    Topic,
    WorkspaceModel,
)

BUILTIN_SUMMARY_FIELDS = (
    "issue",
    "next_step",
    "signal",
    "reason",
    "evidence",
    "sub_agent",
    "target",
)
"""Summary fields Handoff fills itself; any other name is a detail (\"not given\" if absent)."""


class ConfigInvalid(Exception):
    """The workspace file cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Policy:
    """A validated workspace: the file's model plus what detection derives from it."""

    model: WorkspaceModel
    source: str
    narrowing: Narrowing

    @property
    def name(self) -> str:
        """The workspace's name."""
        return self.model.workspace

    @property
    def topics(self) -> dict[str, Topic]:
        """Every defined topic by name."""
        return self.model.topics

    @property
    def sub_agents(self) -> dict[str, SubAgent]:
        """Every defined sub agent by name."""
        return self.model.sub_agents

    @cached_property
    def sub_agent_by_topic(self) -> dict[str, str]:
        """The sub agent that handles each topic (the first one that lists it)."""
        owners: dict[str, str] = {}
        for name, agent in self.model.sub_agents.items():
            for topic in agent.topics:
                owners.setdefault(topic, name)
        return owners

    def target_for(self, sub_agent: str | None) -> str | None:
        """The gateway target for a sub agent: its handover rule, else the default."""
        if sub_agent is not None:
            for rule in self.model.gateway.handover_rules:
                if sub_agent in rule.sub_agents:
                    return rule.target
        return self.model.gateway.target


def load_policy(path: str | Path) -> Policy:
    """Read, validate and interpret a workspace file; raise `ConfigInvalid` on any problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigInvalid([f"{source}: cannot read the file: {exc.strerror}"]) from exc
    return parse_policy(text, source)


def parse_policy(text: str, source: str = "<workspace>") -> Policy:
    """Validate workspace YAML given as text; `source` names it in problem lines."""
    raw = _parse_yaml(text, source)
    try:
        model = WorkspaceModel.model_validate(raw)
    except ValidationError as exc:
        raise ConfigInvalid([f"{source}: {line}" for line in describe_errors(exc)]) from exc
    problems = [f"{source}: {line}" for line in _cross_reference_problems(model)]
    if problems:
        raise ConfigInvalid(problems)
    return Policy(model=model, source=source, narrowing=interpret_instruction(model))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys instead of keeping the last."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {line})", key_node.start_mark
            )
        seen.add(key)
    return dict(loader.construct_mapping(node))


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def _parse_yaml(text: str, source: str) -> dict[str, Any]:
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigInvalid([f"{source}: {where}invalid YAML: {problem}"]) from exc
    if not isinstance(raw, dict):
        raise ConfigInvalid([f"{source}: the file must be a YAML mapping of workspace keys"])
    return raw


def _cross_reference_problems(model: WorkspaceModel) -> list[str]:
    return [
        *_topic_references(model),
        *_sub_agent_problems(model),
        *_gateway_problems(model),
    ]


def _undefined(kind: str, name: str, defined: typing.Iterable[str]) -> str:
    names = sorted(defined)
    near = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    listed = ", ".join(names) if names else "none are defined"
    return f"{kind} '{name}' is not defined{hint}; defined: {listed}"


def _topic_references(model: WorkspaceModel) -> Iterator[str]:
    references = [
        ("scope.topics", model.scope.topics),
        ("escalation.only_topics", model.escalation.only_topics),
        ("escalation.always_topics", model.escalation.always_topics),
        *[(f"sub_agents.{n}.topics", a.topics) for n, a in model.sub_agents.items()],
    ]
    for path, names in references:
        for index, name in enumerate(names):
            if name not in model.topics:
                yield f"{path}[{index}]: {_undefined('topic', name, model.topics)}"


def _sub_agent_problems(model: WorkspaceModel) -> Iterator[str]:
    for agent_name, agent in model.sub_agents.items():
        seen: set[str] = set()
        for index, item in enumerate(agent.collect):
            path = f"sub_agents.{agent_name}.collect[{index}]"
            if item.name in seen:
                yield f"{path}.name: duplicate detail name '{item.name}'"
            seen.add(item.name)
            yield from _collect_item_problems(path, item)


def _collect_item_problems(path: str, item: CollectItem) -> Iterator[str]:
    if item.kind is DetailKind.PATTERN and not item.pattern:
        yield f"{path}.pattern: kind 'pattern' needs a pattern"
    if item.pattern is not None:
        try:
            re.compile(item.pattern)
        except re.error as exc:
            yield f"{path}.pattern: invalid regular expression: {exc}"


def _gateway_problems(model: WorkspaceModel) -> Iterator[str]:
    gateway = model.gateway
    if gateway.target is not None and gateway.target not in gateway.targets:
        yield f"gateway.target: {_undefined('target', gateway.target, gateway.targets)}"
    for index, rule in enumerate(gateway.handover_rules):
        path = f"gateway.handover_rules[{index}]"
        if rule.target not in gateway.targets:
            yield f"{path}.target: {_undefined('target', rule.target, gateway.targets)}"
        for position, agent in enumerate(rule.sub_agents):
            if agent not in model.sub_agents:
                problem = _undefined("sub agent", agent, model.sub_agents)
                yield f"{path}.sub_agents[{position}]: {problem}"
