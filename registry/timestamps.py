"""RFC 3339 date-times: recognising them in strings, writing and reading them.

No clock is read here: times are epoch milliseconds passed in by the caller.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

from registry.errors import RegistryError

# Shortest: 2026-11-23T09:00:00Z (20). Longest kept reasonable: nanoseconds
# and an offset are 35; allow some more fractional digits, no more.
MIN_LENGTH: Final = 20
"""No shorter string is an RFC 3339 date-time: callers on a hot path may skip the call."""
_MAX_LEN: Final = 40
_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?"
    r"(?:[Zz]|[+-](\d{2}):(\d{2}))",
    re.ASCII,
)
_DAYS_IN_MONTH: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)


def is_rfc3339(text: str) -> bool:
    """Whether `text` is an RFC 3339 date-time (`2026-11-23T09:00:00.123+01:00`).

    A compiled pattern plus range checks on the fields (month, day of that
    month, hour, minute, second up to a leap second 60, offset); cheap enough
    to run on every string property of every event.
    """
    if not MIN_LENGTH <= len(text) <= _MAX_LEN or text[4] != "-":
        return False
    m = _RFC3339.fullmatch(text)
    if m is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if not 1 <= month <= 12 or hour > 23 or minute > 59 or second > 60:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= day <= _DAYS_IN_MONTH[month - 1] or (month == 2 and day == 29 and not leap):
        return False
    off_hour, off_minute = m.group(7), m.group(8)
    return off_hour is None or (int(off_hour) <= 23 and int(off_minute) <= 59)


def format_ms(epoch_ms: int) -> str:
    """Epoch milliseconds as RFC 3339 in UTC with milliseconds: `...T09:00:00.123Z`."""
    try:
        dt = _EPOCH + timedelta(milliseconds=epoch_ms)
    except OverflowError as e:
        raise RegistryError(f"time {epoch_ms} ms is outside years 1-9999") from e
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T"
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}.{dt.microsecond // 1000:03d}Z"
    )


def parse_ms(text: str) -> int:
    """Epoch milliseconds of an RFC 3339 date-time (sub-millisecond digits dropped)."""
    if not is_rfc3339(text):
        raise RegistryError(f"not an RFC 3339 date-time: {text!r}")
    normalized = text.upper()
    if normalized[-1] == "Z":
        normalized = normalized[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(normalized)
    except ValueError as e:  # a leap second (60) is valid RFC 3339 but not a datetime
        raise RegistryError(f"not a representable date-time: {text!r}") from e
    return (dt - _EPOCH) // _MS
