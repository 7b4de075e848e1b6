"""route-events folds a take of records in parts of about ROUTE_PART_BYTES, so one
take of ``tracklog import``'s large records is not one long hold of the loop."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.agents.steps import route_parts


def test_thirty_records_of_an_sdks_batches_are_one_part() -> None:
    records = [b"x" * 8_000] * 30
    assert list(route_parts(records, len)) == [records]


def test_large_records_are_split_where_a_part_reaches_most() -> None:
    records = [b"a" * 300, b"b" * 300, b"c" * 300, b"d" * 100]
    assert list(route_parts(records, len, most=500)) == [records[:2], records[2:]]


def test_a_record_larger_than_most_is_a_part_of_its_own() -> None:
    records = [b"a" * 10, b"b" * 1_000, b"c" * 10]
    assert list(route_parts(records, len, most=100)) == [records[:2], records[2:]]


@given(st.lists(st.integers(min_value=0, max_value=2_000)), st.integers(min_value=1, max_value=1_000))
def test_parts_keep_every_record_in_order_and_only_the_last_is_short(sizes: list[int], most: int) -> None:
    parts = list(route_parts(sizes, lambda size: size, most=most))
    assert [size for part in parts for size in part] == sizes
    assert all(part for part in parts)
    assert all(sum(part) >= most and sum(part[:-1]) < most for part in parts[:-1])
