"""Wording pydantic's validation errors as one line per problem, naming the key path.

Unknown keys get the nearest valid key ("did you mean 'suspend_afterwards'?"), found by
walking the workspace model along the error's location.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from escalation.policy_model import WorkspaceModel


def describe_errors(exc: ValidationError) -> list[str]:
    """One `key.path: problem` line per validation error."""
    return [_describe_error(error) for error in exc.errors()]


def _describe_error(error: Any) -> str:
    loc = tuple(error["loc"])
    path = _key_path(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(WorkspaceModel, loc[:-1])
        near = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f" (did you mean '{near[0]}'?)" if near else f" (valid keys: {', '.join(allowed)})"
        return f"{path}: unknown key{hint}"
    if kind == "missing":
        return f"{path}: required key is missing"
    if kind == "string_pattern_mismatch":
        return f"{path}: {_pattern_message(loc)}, got {error['input']!r}"
    if kind == "enum":
        return f"{path}: must be one of {error['ctx']['expected']}, got {error['input']!r}"
    expected = _PLAIN.get(kind)
    if expected:
        return f"{path}: must be {expected}, got {_shown(error['input'])}"
    return f"{path}: {error['msg'].lower()}, got {_shown(error['input'])}"


_PLAIN = {
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
}
"""pydantic error types worded for people editing YAML."""


def _pattern_message(loc: tuple[Any, ...]) -> str:
    if loc == ("workspace",):
        return "must be letters and digits separated by single dashes"
    return "must be a name of letters, digits, '_' or '-'"


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _key_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model reached by following `loc` from `model`."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    return sorted(current.model_fields) if _is_model(current) else []


def _step(annotation: Any, part: Any) -> Any:
    annotation = _unwrap(annotation)
    if _is_model(annotation):
        field = annotation.model_fields.get(part)
        return None if field is None else _unwrap(field.annotation)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is dict and args:
        return _unwrap(args[1])
    if typing.get_origin(annotation) in (tuple, list) and args:
        return _unwrap(args[0])
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip `X | None` and `Annotated[X, ...]` down to X."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(members[0]) if len(members) == 1 else annotation
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
