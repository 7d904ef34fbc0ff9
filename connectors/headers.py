"""Case-insensitive header lookup over any mapping of request headers."""

from __future__ import annotations

from collections.abc import Mapping

from connectors.errors import SignatureInvalid


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """Return header `name`, matched case-insensitively; None if absent or blank."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    if value is None or not value.strip():
        return None
    return value.strip()


def required_header(headers: Mapping[str, str], name: str) -> str:
    """Return header `name`; `SignatureInvalid("missing")` if absent or blank."""
    value = get_header(headers, name)
    if value is None:
        raise SignatureInvalid("missing", f"{name} header is missing")
    return value
