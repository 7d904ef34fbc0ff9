"""Typed reads from untrusted JSON that fail with `PayloadInvalid` naming the JSON path.

Paths are dotted keys (`data.item.id`); `at` names where `obj` itself sits in the
payload, so errors inside list items read `event.files[2].name`. A missing key and a
JSON `null` are the same thing: `get_*` rejects both, `opt_*` returns None for both.
A value of the wrong type is always an error, also for `opt_*`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from connectors.errors import PayloadInvalid

T = TypeVar("T")

_TYPE_NAMES = {dict: "object", list: "array", str: "string", int: "integer", bool: "boolean"}


def join(at: str, key: str) -> str:
    """Return the path of `key` below `at` (`join("data", "item")` is `data.item`)."""
    return f"{at}.{key}" if at else key


def _lookup(obj: Mapping[str, Any], path: str, at: str) -> tuple[Any, str]:
    """Return the value at `path` (None when absent) and its full path."""
    here, value = at, cast(Any, obj)
    for key in path.split("."):
        if not isinstance(value, Mapping):
            raise PayloadInvalid(here, f"expected object, got {_kind(value)}")
        here = join(here, key)
        value = value.get(key)
        if value is None:
            return None, join(at, path)
    return value, here


def _kind(value: object) -> str:
    """Return the JSON type name of `value`, for messages."""
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "object"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _opt(obj: Mapping[str, Any], path: str, at: str, kind: type[T]) -> T | None:
    """Return the value at `path` if it has type `kind`, None when absent."""
    value, full = _lookup(obj, path, at)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PayloadInvalid(full, f"expected {_TYPE_NAMES[kind]}, got {_kind(value)}")
    return value


def _get(obj: Mapping[str, Any], path: str, at: str, kind: type[T]) -> T:
    """Return the value at `path`, which must be present and have type `kind`."""
    value = _opt(obj, path, at, kind)
    if value is None:
        raise PayloadInvalid(join(at, path), f"missing (expected {_TYPE_NAMES[kind]})")
    return value


def get_obj(obj: Mapping[str, Any], path: str, *, at: str = "") -> Mapping[str, Any]:
    """Return the JSON object at `path`."""
    return _get(obj, path, at, dict)


def opt_obj(obj: Mapping[str, Any], path: str, *, at: str = "") -> Mapping[str, Any] | None:
    """Return the JSON object at `path`, or None when absent."""
    return _opt(obj, path, at, dict)


def get_list(obj: Mapping[str, Any], path: str, *, at: str = "") -> list[Any]:
    """Return the JSON array at `path`."""
    return _get(obj, path, at, list)


def opt_list(obj: Mapping[str, Any], path: str, *, at: str = "") -> list[Any] | None:
    """Return the JSON array at `path`, or None when absent."""
    return _opt(obj, path, at, list)


def get_str(obj: Mapping[str, Any], path: str, *, at: str = "") -> str:
    """Return the string at `path` (may be empty)."""
    return _get(obj, path, at, str)


def opt_str(obj: Mapping[str, Any], path: str, *, at: str = "") -> str | None:
    """Return the string at `path`, or None when absent."""
    return _opt(obj, path, at, str)


def get_int(obj: Mapping[str, Any], path: str, *, at: str = "") -> int:
    """Return the integer at `path` (booleans are not integers)."""
    return _get(obj, path, at, int)


def opt_int(obj: Mapping[str, Any], path: str, *, at: str = "") -> int | None:
    """Return the integer at `path`, or None when absent."""
    return _opt(obj, path, at, int)


def opt_id(obj: Mapping[str, Any], path: str, *, at: str = "") -> str | None:
    """Return an id sent as a string or a number, as a string; None if absent or ""."""
    value, full = _lookup(obj, path, at)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PayloadInvalid(full, f"expected id (string or integer), got {_kind(value)}")
    return str(value)


def get_id(obj: Mapping[str, Any], path: str, *, at: str = "") -> str:
    """Return an id sent as a non-empty string or a number, as a string."""
    value = opt_id(obj, path, at=at)
    if value is None:
        raise PayloadInvalid(join(at, path), "missing (expected id)")
    return value


def opt_bool(obj: Mapping[str, Any], path: str, *, at: str = "") -> bool | None:
    """Return a boolean, also accepting the "true"/"false" texts that templates render."""
    value, full = _lookup(obj, path, at)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", ""):
        return {"true": True, "false": False}.get(value.strip().lower())
    raise PayloadInvalid(full, f"expected boolean, got {_kind(value)}")


def get_bool(obj: Mapping[str, Any], path: str, *, at: str = "") -> bool:
    """Return a boolean (or "true"/"false" text) that must be present."""
    value = opt_bool(obj, path, at=at)
    if value is None:
        raise PayloadInvalid(join(at, path), "missing (expected boolean)")
    return value


def opt_words(obj: Mapping[str, Any], path: str, *, at: str = "") -> tuple[str, ...]:
    """Return strings sent as an array or one space-separated string (tags); () if absent."""
    value, full = _lookup(obj, path, at)
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    if not isinstance(value, list):
        raise PayloadInvalid(full, f"expected array of strings or string, got {_kind(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise PayloadInvalid(f"{full}[{index}]", f"expected string, got {_kind(item)}")
    return tuple(item for item in value if item)


def iter_objs(
    obj: Mapping[str, Any], path: str, *, at: str = "", required: bool = True
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield each object of the array at `path` with its own path (`...parts[0]`)."""
    items = get_list(obj, path, at=at) if required else opt_list(obj, path, at=at) or []
    base = join(at, path)
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise PayloadInvalid(f"{base}[{index}]", f"expected object, got {_kind(item)}")
        yield f"{base}[{index}]", item


def opt_iso_time(obj: Mapping[str, Any], path: str, *, at: str = "") -> datetime | None:
    """Return an ISO-8601 time (`Z` accepted) as aware UTC; None if absent or ""."""
    text = opt_str(obj, path, at=at)
    if not text or not text.strip():
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PayloadInvalid(join(at, path), f"not an ISO-8601 time: {text[:40]!r}") from None
    if parsed.tzinfo is None:
        raise PayloadInvalid(join(at, path), "time has no UTC offset")
    return parsed.astimezone(UTC)


def get_iso_time(obj: Mapping[str, Any], path: str, *, at: str = "") -> datetime:
    """Return a required ISO-8601 time as aware UTC."""
    value = opt_iso_time(obj, path, at=at)
    if value is None:
        raise PayloadInvalid(join(at, path), "missing (expected ISO-8601 time)")
    return value


def get_unix_time(obj: Mapping[str, Any], path: str, *, at: str = "") -> datetime:
    """Return a Unix time in whole seconds as aware UTC."""
    seconds = get_int(obj, path, at=at)
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise PayloadInvalid(join(at, path), f"Unix time out of range: {seconds}") from None
