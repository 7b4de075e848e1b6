"""Conversions shared by the GraphQL types."""

from __future__ import annotations

from datetime import UTC, datetime


def to_datetime(ms: int) -> datetime:
    """Epoch milliseconds (UTC) as an aware datetime; GraphQL ``Int`` is only 32-bit."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
