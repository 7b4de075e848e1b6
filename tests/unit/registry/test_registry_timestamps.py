"""registry.timestamps: RFC 3339 recognition and millisecond formatting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.errors import RegistryError
from registry.timestamps import format_ms, is_rfc3339, parse_ms


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


def test_format_ms() -> None:
    assert format_ms(0) == "1970-01-01T00:00:00.000Z"
    assert format_ms(1_795_424_400_123) == "2026-11-23T09:00:00.123Z"
    assert format_ms(-1) == "1969-12-31T23:59:59.999Z"


def test_parse_ms_applies_the_offset() -> None:
    assert parse_ms("2026-11-23T10:00:00.123+01:00") == 1_795_424_400_123


def test_out_of_range_times_raise() -> None:
    with pytest.raises(RegistryError):
        format_ms(10**15)
    with pytest.raises(RegistryError):
        parse_ms("not a time")


@given(st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999))
def test_parse_inverts_format(ms: int) -> None:
    text = format_ms(ms)
    assert is_rfc3339(text)
    assert parse_ms(text) == ms
