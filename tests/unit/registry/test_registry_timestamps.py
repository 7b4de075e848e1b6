"""registry.timestamps: RFC 3339 recognition."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.timestamps import is_rfc3339
from schemas.timestamps import format_rfc3339_ms, parse_rfc3339_ms


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T09:00:00Z",
        "2026-11-23T09:00:00.123+01:00",
        "2026-11-23t09:00:00.123456789z",
        "2024-02-29T23:59:60-12:30",
        "2000-02-29T00:00:00Z",
    ],
)
def test_valid_date_times(text: str) -> None:
    assert is_rfc3339(text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23",
        "2026-11-23T09:00:00",  # no offset
        "2026-11-23 09:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2025-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2026-11-23T24:00:00Z",
        "2026-11-23T09:60:00Z",
        "2026-11-23T09:00:61Z",
        "2026-11-23T09:00:00+24:00",
        "2026-11-23T09:00:00+01:60",
        "２０２６-11-23T09:00:00Z",  # fullwidth digits are not ASCII digits
        "2026-11-23T09:00:00.Z",
        " 2026-11-23T09:00:00Z",
        "hello world, this is long",
        "",
    ],
)
def test_invalid_date_times(text: str) -> None:
    assert not is_rfc3339(text)


@given(st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999))
def test_every_time_the_log_carries_is_recognised(ms: int) -> None:
    # Times on the log are written by schemas.timestamps; inference must type them TIMESTAMP.
    text = format_rfc3339_ms(ms)
    assert is_rfc3339(text)
    assert parse_rfc3339_ms(text) == ms
