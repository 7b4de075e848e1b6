"""RFC 3339 date-times to epoch milliseconds and back."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import format_rfc3339_ms, parse_rfc3339_ms
from schemas.timestamps import MAX_MS, MIN_MS, _parse_general

NINE_AM = 1_795_424_400_000  # 2026-11-23T09:00:00Z


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2026-11-23T09:00:00Z", NINE_AM),
        ("2026-11-23T09:00:00.123Z", NINE_AM + 123),
        ("2026-11-23T09:00:00.1Z", NINE_AM + 100),
        ("2026-11-23T09:00:00.123456789Z", NINE_AM + 123),  # truncated, not rounded
        ("2026-11-23T09:00:00.999999+00:00", NINE_AM + 999),
        ("2026-11-23T10:00:00+01:00", NINE_AM),
        ("2026-11-23T10:30:00+0130", NINE_AM),
        ("2026-11-23T08:00:00-01", NINE_AM),
        ("2026-11-23T09:00:00-00:00", NINE_AM),
        ("2026-11-23T09:00:00", NINE_AM),  # naive: UTC
        ("2026-11-23 09:00:00z", NINE_AM),
        ("2026-11-23t09:00Z", NINE_AM),  # seconds optional
        ("2026-11-23T09:00:00,5Z", NINE_AM + 500),
        ("2026-11-23T08:59:60Z", NINE_AM),  # leap second
        ("2015-2-02T00:30:08.276Z", 1_422_837_008_276),  # as in Segment's docs
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.999Z", -1),
        ("0001-01-01T00:00:00Z", MIN_MS),
        ("9999-12-31T23:59:59.999Z", MAX_MS),
    ],
)
def test_parse(text: str, ms: int) -> None:
    assert parse_rfc3339_ms(text) == ms


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-11-23",  # a date is not a date-time
        "09:00:00Z",
        "2026-11-23T09:00:00ZZ",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-11-23T24:00:00Z",
        "2026-11-23T09:61:00Z",
        "2026-11-23T09:00:00+24:00",
        "2026-11-23T09:00:00+01:60",
        "2026-11-23T09:00:00.Z",
        "20261123T090000Z",
        "２０２６-11-23T09:00:00Z",  # non-ASCII digits
        "2026-11-23T09:00:00Z\n",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
        "1795438800000",
        "next tuesday",
    ],
)
def test_parse_rejects(text: str) -> None:
    assert parse_rfc3339_ms(text) is None


def test_format() -> None:
    assert format_rfc3339_ms(NINE_AM + 123) == "2026-11-23T09:00:00.123Z"
    assert format_rfc3339_ms(MIN_MS) == "0001-01-01T00:00:00.000Z"
    assert format_rfc3339_ms(-1) == "1969-12-31T23:59:59.999Z"
    with pytest.raises(ValueError):
        format_rfc3339_ms(MAX_MS + 1)


@given(st.integers(MIN_MS, MAX_MS))
def test_format_parse_round_trip(ms: int) -> None:
    assert parse_rfc3339_ms(format_rfc3339_ms(ms)) == ms


fraction = st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=9).map(lambda f: "." + f))
offset = st.one_of(
    st.just("Z"),
    st.tuples(st.sampled_from("+-"), st.integers(0, 25), st.integers(0, 60)).map(
        lambda o: f"{o[0]}{o[1]:02d}:{o[2]:02d}"
    ),
)


@given(
    st.tuples(
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 24),
        st.integers(0, 60),
        st.integers(0, 60),
    ),
    fraction,
    offset,
)
def test_the_fast_path_agrees_with_the_general_parser(parts: tuple[int, ...], fraction: str, offset: str) -> None:
    # Every digit string of the shapes the fast path takes, valid or not (month 13, day 00,
    # second 60, year 0000, offset 25:00, past year 9999 in UTC), parses as the general path.
    year, month, day, hour, minute, second = parts
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}{offset}"
    assert parse_rfc3339_ms(text) == _parse_general(text)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2026-11-23T08:59:60.000Z", NINE_AM),  # a leap second
        ("0000-01-01T00:00:00.000Z", None),
        ("2026-02-30T00:00:00.000Z", None),
        ("0001-01-01T00:00:00+01:00", None),
        ("9999-12-31T23:59:59-01:00", None),
        ("2026-11-23T09:00:00+24:00", None),
    ],
)
def test_the_fast_path_hands_what_it_cannot_take_to_the_general_parser(text: str, ms: int | None) -> None:
    assert parse_rfc3339_ms(text) == _parse_general(text) == ms


@given(st.integers(MIN_MS, MAX_MS))
def test_format_agrees_with_its_fields(ms: int) -> None:
    text = format_rfc3339_ms(ms)
    t = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
    assert text == (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T"
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond // 1000:03d}Z"
    )
