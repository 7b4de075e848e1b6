"""Errors of the running system; each maps to one HTTP status in ``streams.edge.app``."""

from __future__ import annotations

from typing import ClassVar

from schemas.errors import TracklogError


class StreamsError(TracklogError):
    """Root of the running system's errors."""


class UnauthorizedError(StreamsError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnavailableError(StreamsError):
    """The node cannot take the request now: 503, and the client retries after ``retry_after`` s."""

    kind: ClassVar[str]
    default_retry_after: ClassVar[int]

    def __init__(self, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = self.default_retry_after if retry_after is None else retry_after


class BrokerUnavailableError(UnavailableError):
    """The broker did not acknowledge a write in time; nothing was acknowledged."""

    kind = "broker_unavailable"
    default_retry_after = 5


class OverloadedError(UnavailableError):
    """As many ingestion requests as allowed are in flight; this one was not started."""

    kind = "overloaded"
    default_retry_after = 1
