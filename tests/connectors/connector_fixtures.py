"""Loading the recorded webhook bodies in tests/fixtures/<platform>/ (shared by the tests)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import SignatureInvalid

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PLATFORMS = ("zendesk", "intercom", "slack")


def fixture_names(platform: str) -> list[str]:
    """Names (file stems) of a platform's fixtures, sorted."""
    return sorted(path.stem for path in (FIXTURES / platform).glob("*.json"))


def raw_fixture(platform: str, name: str) -> bytes:
    """The fixture's exact bytes, as a platform would POST them."""
    return (FIXTURES / platform / f"{name}.json").read_bytes()


def fixture(platform: str, name: str) -> dict[str, Any]:
    """The fixture parsed as JSON."""
    body: dict[str, Any] = json.loads(raw_fixture(platform, name))
    return body


def rejection_reason(attempt: Callable[[], object], secret: str) -> str:
    """Run a verification that must fail; return its reason, checking the secret is not in it."""
    with pytest.raises(SignatureInvalid) as error:
        attempt()
    assert secret not in str(error.value)
    return error.value.reason
