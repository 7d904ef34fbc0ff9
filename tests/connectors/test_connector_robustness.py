"""Every recorded payload, broken one value at a time, fails only with a connector error.

Deleting a value or giving it the wrong JSON type must never surface as KeyError,
TypeError, AttributeError...: either the value was not needed (an Event comes out) or
the error is PayloadInvalid naming that value's path (or a path below it).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from connectors.errors import PayloadInvalid, UnsupportedEvent
from connectors.intercom import normalize as intercom
from connectors.model import Context, Event, Identities
from connectors.slack import normalize as slack
from connectors.zendesk import normalize as zendesk
from tests.connectors.connector_fixtures import PLATFORMS, fixture, fixture_names

MODULES: dict[str, ModuleType] = {"zendesk": zendesk, "intercom": intercom, "slack": slack}
BROKEN_VALUES: tuple[Any, ...] = (None, [], {"x": 1}, True, 3.5)
Path = tuple[str | int, ...]


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every key/index path inside a JSON value."""
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in children:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def dotted(path: Path) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


def broken(body: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    copied = copy.deepcopy(body)
    target: Any = copied
    for key in path[:-1]:
        target = target[key]
    if value is None and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copied


CASES = [(platform, name) for platform in PLATFORMS for name in fixture_names(platform)]


@pytest.mark.parametrize(("platform", "name"), CASES)
def test_broken_payloads_fail_only_with_payload_invalid_naming_the_path(
    platform: str, name: str
) -> None:
    module, body = MODULES[platform], fixture(platform, name)
    failures = 0
    for path in paths(body):
        for value in BROKEN_VALUES:
            try:
                result = module.normalize(
                    broken(body, path, value), Context("ws", "d", Identities())
                )
            except UnsupportedEvent:
                continue
            except PayloadInvalid as error:
                failures += 1
                where = dotted(path)
                assert error.path == where or error.path.startswith((where + ".", where + "[")), (
                    f"{dotted(path)} -> {value!r} reported at {error.path}"
                )
            else:
                assert isinstance(result, Event)
    assert failures > 0  # the fixture has required values at all
