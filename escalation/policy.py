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

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from escalation.instruction import Narrowing, interpret_instruction
from escalation.policy_errors import describe_errors
from escalation.policy_model import (
    SubAgent,
    Topic,
    WorkspaceModel,
)
from escalation.policy_references import reference_problems


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
    def version(self) -> str:
        """A short fingerprint of the validated configuration (recorded with each decision)."""
        return hashlib.sha256(self.model.model_dump_json().encode()).hexdigest()[:12]

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
    raw, duplicates = _parse_yaml(text, source)
    problems = [*duplicates, *reference_problems(raw)]
    try:
        model = WorkspaceModel.model_validate(raw)
    except ValidationError as exc:
        problems = [*describe_errors(exc), *problems]
    if problems:
        raise ConfigInvalid([f"{source}: {line}" for line in problems])
    return Policy(model=model, source=source, narrowing=interpret_instruction(model))


class _RecordingLoader(yaml.SafeLoader):
    """A safe loader that records duplicate mapping keys (the last value is kept)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []


def _construct_mapping(loader: _RecordingLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            line = key_node.start_mark.line + 1
            loader.duplicates.append(f"line {line}: duplicate key {key!r}")
        seen.add(key)
    return dict(loader.construct_mapping(node))


_RecordingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(text: str, source: str) -> tuple[dict[str, Any], list[str]]:
    loader = _RecordingLoader(text)
    try:
        raw = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigInvalid([f"{source}: {where}invalid YAML: {problem}"]) from exc
    finally:
        loader.dispose()
    if not isinstance(raw, dict):
        raise ConfigInvalid([f"{source}: the file must be a YAML mapping of workspace keys"])
    return raw, loader.duplicates
