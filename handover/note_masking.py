"""Masking of sensitive details in notes and state views. Pure: no I/O.

A sub agent's `collect` item marked `sensitive` is masked wherever its value appears, and
so is anything shaped like it (its `pattern`, else the shape of its kind: email, phone,
order number). A mask keeps at most the last two characters, and only of longer values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from escalation.detail_patterns import EMAIL, ORDER_NUMBER, PHONE
from escalation.policy import Policy
from escalation.policy_model import CollectItem, DetailKind, SubAgent

MASK = "••••"
_SPACE = re.compile(r"\s+")
_SHAPES = {DetailKind.EMAIL: EMAIL, DetailKind.PHONE: PHONE, DetailKind.ORDER_NUMBER: ORDER_NUMBER}


def mask_collected(
    collected: Mapping[str, str], policy: Policy, sub_agent: str | None
) -> dict[str, str]:
    """Collected details with the sub agent's `sensitive` ones masked (any sub agent's if None)."""
    items = _sensitive_items(policy, policy.sub_agents.get(sub_agent or ""))
    sensitive = {item.name for item in items}
    return {name: _mask_value(v) if name in sensitive else v for name, v in collected.items()}


def mask_text(
    text: str, collected: Mapping[str, str], policy: Policy, sub_agent: str | None
) -> str:
    """`text` with the sensitive collected values, and anything shaped like them, masked."""
    return masker(collected, policy, policy.sub_agents.get(sub_agent or ""))(text)


@dataclass(frozen=True)
class Masker:
    """Masks sensitive values (longest first), then anything shaped like a sensitive detail."""

    values: tuple[str, ...]
    shapes: tuple[re.Pattern[str], ...]

    def __call__(self, text: str) -> str:
        """`text` with every sensitive value and shape masked."""
        for value in self.values:
            text = text.replace(value, _mask_value(value))
        for shape in self.shapes:
            text = shape.sub(lambda match: _mask_value(match[0]), text)
        return text


def masker(collected: Mapping[str, str], policy: Policy, agent: SubAgent | None) -> Masker:
    """The `Masker` of `agent`'s sensitive details (every sub agent's when None)."""
    items = _sensitive_items(policy, agent)
    raw = [value for name, value in collected.items() if name in {i.name for i in items}]
    values = {form for value in raw for form in (value.strip(), one_line(value)) if form}
    shapes = (_compiled(i.pattern) if i.pattern else _SHAPES.get(i.kind) for i in items)
    return Masker(
        tuple(sorted(values, key=len, reverse=True)),
        tuple(dict.fromkeys(shape for shape in shapes if shape is not None)),
    )


def one_line(text: str) -> str:
    """`text` on one line: every run of whitespace one space, none at the ends."""
    return _SPACE.sub(" ", text).strip()


def _sensitive_items(policy: Policy, agent: SubAgent | None) -> list[CollectItem]:
    """The sub agent's sensitive details; every sub agent's when there is none."""
    agents = [agent] if agent is not None else policy.sub_agents.values()
    return [item for each in agents for item in each.collect if item.sensitive]


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _mask_value(value: str) -> str:
    """A mask keeping at most the last two characters, and only of longer values."""
    tail = value.strip()[-2:]
    return MASK + tail if len(value.strip()) >= 8 and tail.isalnum() else MASK
