"""query.domain.changes: the order of all changes, the bytes that sort in it, and cursors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from query.domain import InvalidCursorError
from query.domain.changes import (
    after,
    decode_change_cursor,
    decode_order_key,
    encode_change_cursor,
    order_key,
    sort_key,
)
from query.domain.cursor import Cursor, encode_cursor
from registry import Cause, ChangeKind, ColumnType, SchemaChange, SchemaKey, TypeChange


def _change(
    event: str | None, *, at: int = 1_000, version: int = 1, source: str = "web", path: str = "properties.x"
) -> SchemaChange:
    string = ColumnType.STRING
    cause = Cause("m", 0, 0, at)
    change = TypeChange(ChangeKind.COLUMN_ADDED, string, None, string, version, at, cause)
    return SchemaChange.of(SchemaKey(source, "track", event), path, change)


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
changes = st.builds(
    _change,
    st.none() | texts.filter(lambda s: "\x1f" not in s),
    at=st.integers(-(2**62), 2**62),
    version=st.integers(0, 2**40),
    source=texts.filter(lambda s: bool(s) and "\x1f" not in s),
    path=texts,
)


def test_no_event_sorts_before_every_name_even_the_empty_one() -> None:
    found = sorted([_change("a"), _change(""), _change(None)], key=order_key)
    assert [c.key.event for c in found] == [None, "", "a"]


@given(st.lists(changes, min_size=2, max_size=12))
def test_order_keys_sort_as_the_order_does(found: list[SchemaChange]) -> None:
    assert [sort_key(c) for c in sorted(found, key=order_key)] == sorted(sort_key(c) for c in found)


@given(changes, changes)
def test_no_order_key_is_a_prefix_of_another(a: SchemaChange, b: SchemaChange) -> None:
    ka, kb = order_key(a), order_key(b)
    if ka != kb:
        assert not kb.startswith(ka)
        # So the scan after `a` starts past it and before anything greater.
        assert (after(ka) <= kb) == (ka < kb)


@given(changes)
def test_a_cursor_stands_for_its_change(change: SchemaChange) -> None:
    assert decode_order_key(decode_change_cursor(encode_change_cursor(change))) == sort_key(change)


@pytest.mark.parametrize(
    "cursor",
    ["", "é", "!!!", "W10=", "bnVsbA", encode_cursor(Cursor(1, "m")), encode_change_cursor(_change(None))[:-2]],
)
def test_anything_else_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_change_cursor(cursor)
