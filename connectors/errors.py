"""The connector error tree: everything a connector raises derives from `ConnectorError`."""

from __future__ import annotations

from typing import Literal

SignatureReason = Literal["missing", "malformed", "stale", "mismatch"]


class ConnectorError(Exception):
    """Base of every error raised by a connector."""


class SignatureInvalid(ConnectorError):
    """A webhook failed verification; the request must be answered 401 and not stored.

    `reason` is a short machine-readable code (for metrics); the message says which
    header or check failed. Neither ever contains the secret.
    """

    def __init__(self, reason: SignatureReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: SignatureReason = reason
        self.detail = detail


class PayloadInvalid(ConnectorError):
    """A payload does not have the shape a normalizer needs.

    `path` is the JSON path of the offending value (`data.item.conversation_parts
    .conversation_parts[0].author.id`), `reason` what is wrong with it.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path or '$'}: {reason}")
        self.path = path
        self.reason = reason


class UnsupportedEvent(ConnectorError):
    """A verified payload of an event type that the connector does not handle."""

    def __init__(self, event_type: str) -> None:
        super().__init__(f"unsupported event type {event_type!r}")
        self.event_type = event_type


class RateLimited(ConnectorError):
    """The platform answered 429; retry after `retry_after` seconds (None: unknown)."""

    def __init__(self, platform: str, retry_after: float | None = None) -> None:
        wait = "unknown" if retry_after is None else f"{retry_after:g}s"
        super().__init__(f"{platform} rate limit hit; retry after {wait}")
        self.platform = platform
        self.retry_after = retry_after


class PlatformError(ConnectorError):
    """A platform API call failed; `retryable` tells the outbox whether to try again."""

    def __init__(
        self, platform: str, message: str, *, status: int | None = None, retryable: bool = False
    ) -> None:
        super().__init__(f"{platform}: {message}" + (f" (HTTP {status})" if status else ""))
        self.platform = platform
        self.status = status
        self.retryable = retryable
