"""Recognising RFC 3339 date-times in strings (a TIMESTAMP column's values).

Writing and reading times is ``schemas.timestamps``'s; this only says whether a
string property is one, strictly, for inference.
"""

from __future__ import annotations

import re
from typing import Final

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
