"""registry.lattice: the join is a lattice join, and the stated order holds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.lattice import is_lossless, join, join_all
from registry.types import ChangeKind, ColumnType, Policy

T = ColumnType
types = st.sampled_from(list(ColumnType))


def test_enum_values_equal_names() -> None:
    for enum in (ColumnType, ChangeKind, Policy):
        for member in enum:
            assert member.value == member.name


@given(types, types)
def test_join_is_commutative(a: ColumnType, b: ColumnType) -> None:
    assert join(a, b) is join(b, a)


@given(types, types, types)
def test_join_is_associative(a: ColumnType, b: ColumnType, c: ColumnType) -> None:
    assert join(join(a, b), c) is join(a, join(b, c))


@given(types)
def test_join_is_idempotent_with_null_identity_and_json_top(a: ColumnType) -> None:
    assert join(a, a) is a
    assert join(a, T.NULL) is a
    assert join(a, T.JSON) is T.JSON


@given(types, types)
def test_join_is_an_upper_bound(a: ColumnType, b: ColumnType) -> None:
    j = join(a, b)
    assert join(a, j) is j
    assert join(b, j) is j


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (T.INTEGER, T.NUMBER, T.NUMBER),
        (T.NUMBER, T.STRING, T.STRING),
        (T.INTEGER, T.STRING, T.STRING),
        (T.BOOLEAN, T.STRING, T.STRING),
        (T.TIMESTAMP, T.STRING, T.STRING),
        (T.BOOLEAN, T.INTEGER, T.STRING),
        (T.TIMESTAMP, T.NUMBER, T.STRING),
        (T.ARRAY, T.ARRAY, T.ARRAY),
        (T.OBJECT, T.OBJECT, T.OBJECT),
        (T.ARRAY, T.OBJECT, T.JSON),
        (T.ARRAY, T.STRING, T.JSON),
        (T.OBJECT, T.INTEGER, T.JSON),
        (T.NULL, T.ARRAY, T.ARRAY),
        (T.NULL, T.NULL, T.NULL),
    ],
)
def test_join_table(a: ColumnType, b: ColumnType, expected: ColumnType) -> None:
    assert join(a, b) is expected


def test_join_all() -> None:
    assert join_all([]) is T.NULL
    assert join_all([T.NULL, T.INTEGER, T.NULL, T.NUMBER]) is T.NUMBER
    assert join_all(iter([T.INTEGER, T.BOOLEAN])) is T.STRING


@given(types)
def test_lossless_from_null_and_to_self(a: ColumnType) -> None:
    assert is_lossless(T.NULL, a)
    assert is_lossless(a, a)


@given(types, types)
def test_lossless_only_for_null_integer_to_number_and_self(a: ColumnType, b: ColumnType) -> None:
    expected = a is b or a is T.NULL or (a, b) == (T.INTEGER, T.NUMBER)
    assert is_lossless(a, b) is expected


def test_widening_to_string_or_json_is_lossy() -> None:
    assert not is_lossless(T.NUMBER, T.STRING)
    assert not is_lossless(T.TIMESTAMP, T.STRING)
    assert not is_lossless(T.ARRAY, T.JSON)
    assert not is_lossless(T.NUMBER, T.INTEGER)
