"""Conversions shared by the GraphQL types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)


def to_datetime(ms: int) -> datetime:
    """Epoch milliseconds (UTC) as an aware datetime; GraphQL ``Int`` is only 32-bit."""
    return _EPOCH + ms * _MS


def to_ms(dt: datetime) -> int:
    """A datetime as epoch milliseconds (sub-millisecond digits dropped); naive is UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // _MS
