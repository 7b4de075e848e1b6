"""Date-time strings to and from epoch milliseconds (UTC).

Events carry time as integer epoch milliseconds; on the wire it is an RFC 3339
string. Parsing is as lenient as the SDKs in the field need: `Z` or a numeric
offset (`+01:00`, `+0100`, `+01`), none at all (read as UTC), any number of
fractional digits (truncated to the millisecond), `T`, `t` or a space between
date and time, optional seconds, and single-digit months and days (Segment's own
HTTP API docs show `2015-2-02T00:30:08.276Z`). Formatting is strict RFC 3339:
`2026-11-23T09:00:00.123Z`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

#: The earliest and latest instants a four-digit-year RFC 3339 string can name.
MIN_MS = -62_135_596_800_000  # 0001-01-01T00:00:00.000Z
MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MS = timedelta(milliseconds=1)

# [0-9] rather than \d: \d also matches non-ASCII digits, which int() accepts.
_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})[Tt ]"
    r"([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?"
    r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?"
)

# The shapes SDKs send and `format_rfc3339_ms` writes (so what every event on the log
# carries): a full date-time in UTC or with an hh:mm offset (hh < 24, mm < 60).
# `datetime.fromisoformat` (C) parses them at a quarter of the general path's cost;
# anything else, and what it refuses (a leap second, year 0), takes the general path.
_COMMON = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)


def parse_rfc3339_ms(text: str) -> int | None:
    """Epoch milliseconds of an ISO 8601 / RFC 3339 date-time, or None if `text` is not one.

    A date-time without an offset is UTC. Results outside years 1-9999 (after
    applying the offset) are None, so every parsed time can be formatted back.
    """
    if _COMMON.fullmatch(text) is not None:
        try:
            ms = (datetime.fromisoformat(text) - _EPOCH) // _ONE_MS
        except (ValueError, OverflowError):
            pass
        else:
            return ms if MIN_MS <= ms <= MAX_MS else None
    return _parse_general(text)


def _parse_general(text: str) -> int | None:
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute = (int(g) for g in match.group(1, 2, 3, 4, 5))
    second = int(match.group(6) or 0)
    # RFC 3339 allows a leap second (:60); count it as the next minute's :00.
    leap = second == 60
    try:
        wall = datetime(
            year, month, day, hour, minute, 59 if leap else second, tzinfo=timezone.utc
        )
    except ValueError:
        return None
    millis = int((match.group(7) or "")[:3].ljust(3, "0"))
    ms = (wall - _EPOCH) // _ONE_MS + (1000 if leap else 0) + millis
    sign = match.group(9)
    if sign is not None:
        offset_hours, offset_minutes = int(match.group(10)), int(match.group(11) or 0)
        if offset_hours > 23 or offset_minutes > 59:
            return None
        offset_ms = (offset_hours * 60 + offset_minutes) * 60_000
        ms += -offset_ms if sign == "+" else offset_ms
    return ms if MIN_MS <= ms <= MAX_MS else None


def format_rfc3339_ms(ms: int) -> str:
    """RFC 3339 UTC with milliseconds, e.g. `2026-11-23T09:00:00.123Z`.

    Raises ValueError outside `MIN_MS..MAX_MS` (no four-digit year names it).
    """
    if not MIN_MS <= ms <= MAX_MS:
        raise ValueError(f"{ms} ms is outside years 0001-9999")
    return f"{_second(ms // 1000)}.{ms % 1000:03d}Z"


@lru_cache(maxsize=4096)
def _second(seconds: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS` of an epoch second: the events of a request share a few."""
    # isoformat (C) pads the year to four digits on every platform, unlike strftime's %Y.
    return (_EPOCH + timedelta(seconds=seconds)).isoformat()[:-6]
