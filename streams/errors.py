"""Errors of the running system; each maps to one HTTP status in ``streams.http``."""

from __future__ import annotations

from schemas.errors import TracklogError


class StreamsError(TracklogError):
    """Root of the running system's errors."""


class UnauthorizedError(StreamsError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BrokerUnavailableError(StreamsError):
    """The broker did not acknowledge a write in time; nothing was acknowledged."""

    def __init__(self, reason: str, retry_after: int = 5) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
