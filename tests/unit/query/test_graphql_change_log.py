"""query.graphql.change_log: the order of all changes, and cursors into it."""

from __future__ import annotations

import pytest

from query.graphql.change_log import decode_cursor, encode_cursor, page_after, sort_key
from query.graphql.errors import InvalidArgumentError
from registry import Cause, ChangeKind, ColumnType, SchemaChange, SchemaKey, TypeChange


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
