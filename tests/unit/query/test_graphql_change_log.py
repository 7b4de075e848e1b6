"""query.graphql.change_log: the order of all changes, and cursors into it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from query.graphql.change_log import (
    ChangeLog,
    all_changes,
    decode_cursor,
    encode_cursor,
    page_after,
    page_before,
    sort_key,
)
from query.graphql.errors import InvalidArgumentError
from registry import Cause, ChangeKind, ColumnState, ColumnType, SchemaChange, SchemaKey, TypeChange
from tests.unit.query.fakes import MemorySchemas


def _change(event: str | None, *, at: int = 1_000, version: int = 1) -> SchemaChange:
    string = ColumnType.STRING
    cause = Cause("m", 0, 0, at)
    change = TypeChange(ChangeKind.COLUMN_ADDED, string, None, string, version, at, cause)
    return SchemaChange.of(SchemaKey("web", "track", event), "properties.x", change)


def test_no_event_sorts_before_every_name_even_the_empty_one() -> None:
    changes = [_change("a"), _change(""), _change(None)]
    assert [c.key.event for c in sorted(changes, key=sort_key)] == [None, "", "a"]


@pytest.mark.parametrize("event", [None, "", "Order Completed", "ünïcödé \x00"])
def test_a_cursor_stands_for_its_change(event: str | None) -> None:
    change = _change(event)
    assert decode_cursor(encode_cursor(change)) == sort_key(change)


def test_a_page_after_a_cursor_starts_after_its_change() -> None:
    changes = sorted((_change(None, version=v, at=v * 10) for v in range(1, 6)), key=sort_key)
    page = page_after(changes, 2, encode_cursor(changes[1]))
    assert page.changes == changes[2:4]
    assert (page.before, page.total, page.has_next) == (2, 5, True)
    assert page_after(changes, 0, None).has_next is True
    assert page_after(changes, 200, None).has_next is False


@pytest.mark.parametrize("cursor", ["", "é", "!!!", "W10=", "bnVsbA=="])
def test_anything_else_is_refused_naming_the_argument(cursor: str) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        decode_cursor(cursor)
    assert raised.value.argument == "after"


def test_a_page_before_a_cursor_ends_just_before_its_change() -> None:
    changes = sorted((_change(None, version=v, at=v * 10) for v in range(1, 6)), key=sort_key)
    assert page_before(changes, 2, None).changes == changes[3:]
    page = page_before(changes, 2, encode_cursor(changes[3]))
    assert page.changes == changes[1:3]
    assert (page.before, page.total) == (1, 5)
    assert page_before(changes, 5, encode_cursor(changes[1])).changes == changes[:1]
    with pytest.raises(InvalidArgumentError) as raised:
        page_before(changes, 2, "nope")
    assert raised.value.argument == "before"


KEYS = [SchemaKey("web", "track", "A"), SchemaKey("web", "track", "B"), SchemaKey("ios", "page", None)]
VALUES: list[Any] = [1, 1.5, "x", True, None, [1], {"k": 1}]
observations = st.lists(
    st.tuples(
        st.sampled_from(KEYS),
        st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(VALUES), max_size=3),
        st.integers(0, 50),
    ),
    max_size=40,
)


class _Counting(MemorySchemas):
    """Counts the schemas whose columns were read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[SchemaKey] = []

    def get_columns(self, key: SchemaKey) -> dict[str, ColumnState]:
        self.reads.append(key)
        return super().get_columns(key)


@settings(max_examples=100, deadline=None)
@given(observations, st.lists(st.integers(0, 40), max_size=5))
def test_the_change_log_answers_what_reading_every_column_does(
    steps: list[tuple[SchemaKey, dict[str, Any], int]], reads_at: list[int]
) -> None:
    reader = _Counting()
    log = ChangeLog()
    for n, (key, properties, at) in enumerate(steps):
        reader.observe(key, properties, at, f"m{n}")
        if n in reads_at:
            for source in (None, "web", "ios"):
                assert list(log.changes(reader, source)) == all_changes(reader, source)
                listed = reader.list_schemas()
                assert list(log.changes(reader, source, listed)) == all_changes(reader, source)
    for source in (None, "web", "ios", "android"):
        assert list(log.changes(reader, source)) == all_changes(reader, source)


def test_unchanged_schemas_are_not_read_again() -> None:
    reader = _Counting()
    log = ChangeLog()
    reader.observe(KEYS[0], {"a": 1}, 1, "m1")
    reader.observe(KEYS[1], {"a": 1}, 2, "m2")
    assert len(log.changes(reader)) == 2
    reader.reads.clear()
    reader.observe(KEYS[1], {"a": "x", "b": 1}, 3, "m3")
    reader.observe(KEYS[0], {"a": 1}, 4, "m4")  # no change: the same version
    assert len(log.changes(reader)) == 4
    assert reader.reads == [KEYS[1]]
    reader.reads.clear()
    assert len(log.changes(reader)) == 4
    assert reader.reads == []


def test_a_schema_read_before_its_columns_were_written_is_read_again() -> None:
    reader = _Counting()
    log = ChangeLog()
    reader.observe(KEYS[0], {"a": 1}, 1, "m1")
    columns = dict(reader.columns[KEYS[0]])
    reader.observe(KEYS[0], {"b": 1}, 2, "m2")
    written = reader.columns[KEYS[0]]
    reader.columns[KEYS[0]] = columns  # the summary says version 2; the columns hold 1
    assert list(log.changes(reader)) == []
    reader.columns[KEYS[0]] = written
    assert list(log.changes(reader)) == all_changes(reader)
    assert len(all_changes(reader)) == 2
