"""registry.infer: value types, flattening, limits, and order independence."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.errors import InvalidLimitsError, UnsupportedValueError
from registry.infer import Finding, Limits, infer_columns, infer_type
from registry.types import ColumnType

T = ColumnType

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=4)
    | st.sampled_from(["2026-11-23T09:00:00Z", "a.b", ""])
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(alphabet="ab.[]\\", max_size=2), children, max_size=3),
    max_leaves=20,
)
sections = st.fixed_dictionaries(
    {},
    optional={
        "properties": st.dictionaries(st.text(max_size=3), json_values, max_size=4),
        "traits": st.dictionaries(st.text(max_size=3), json_values, max_size=4),
        "context": json_values,
    },
)


def shuffled(value: Any, rnd: random.Random) -> Any:
    """The same JSON value with every object's keys and every array's items reordered."""
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {k: shuffled(v, rnd) for k, v in items}
    if isinstance(value, list):
        return [shuffled(v, rnd) for v in rnd.sample(value, len(value))]
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, T.NULL),
        (True, T.BOOLEAN),
        (False, T.BOOLEAN),
        (0, T.INTEGER),
        (2**63 - 1, T.INTEGER),
        (-(2**63), T.INTEGER),
        (2**63, T.NUMBER),
        (-(2**63) - 1, T.NUMBER),
        (1.5, T.NUMBER),
        (1.0, T.NUMBER),
        ("pro", T.STRING),
        ("2026-11-23T09:00:00Z", T.TIMESTAMP),
        ("2026-11-23T09:00:00.123+01:00", T.TIMESTAMP),
        ("2026-11-23", T.STRING),
        ([], T.ARRAY),
        ({}, T.OBJECT),
    ],
)
def test_infer_type(value: object, expected: ColumnType) -> None:
    assert infer_type(value) is expected


def test_non_json_values_raise_naming_the_path() -> None:
    with pytest.raises(UnsupportedValueError) as info:
        infer_columns({"properties": {"when": {1, 2}}})
    assert info.value.path == "properties.when"
    assert info.value.type_name == "set"


def test_flattening_objects_scalars_and_escaped_keys() -> None:
    inference = infer_columns(
        {
            "properties": {"plan": "pro", "price": 9.5, "extra": {}, "a.b": {"": True}},
            "context": {"device": {"type": "ios"}},
            "traits": "not an object",
        }
    )
    assert inference.columns == {
        "context.device.type": T.STRING,
        "properties.a\\.b.\\_": T.BOOLEAN,
        "properties.extra": T.OBJECT,
        "properties.plan": T.STRING,
        "properties.price": T.NUMBER,
    }
    assert list(inference.columns) == sorted(inference.columns)
    assert inference.findings == ()


def test_empty_and_missing_sections_add_nothing() -> None:
    assert infer_columns({}).columns == {}
    assert infer_columns({"properties": {}, "traits": None}).columns == {}


def test_arrays_of_objects_join_sub_paths_across_items() -> None:
    inference = infer_columns(
        {"properties": {"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2.5, "tag": None}]}}
    )
    assert inference.columns == {
        "properties.items": T.ARRAY,
        "properties.items[].qty": T.NUMBER,
        "properties.items[].sku": T.STRING,
        "properties.items[].tag": T.NULL,
    }


def test_arrays_of_scalars_join_item_types() -> None:
    columns = infer_columns(
        {"properties": {"tags": ["a", None, "b"], "ids": [1, 2.5], "mixed": [1, True], "nulls": [None]}}
    ).columns
    assert columns["properties.tags[]"] is T.STRING
    assert columns["properties.ids[]"] is T.NUMBER
    assert columns["properties.mixed[]"] is T.STRING
    assert columns["properties.nulls[]"] is T.NULL


def test_arrays_of_arrays_pool_their_items() -> None:
    columns = infer_columns({"properties": {"m": [[1], [], [2.5, 3]], "o": [[{"x": 1}], [{"y": "z"}]]}}).columns
    assert columns == {
        "properties.m": T.ARRAY,
        "properties.m[]": T.ARRAY,
        "properties.m[][]": T.NUMBER,
        "properties.o": T.ARRAY,
        "properties.o[]": T.ARRAY,
        "properties.o[][].x": T.INTEGER,
        "properties.o[][].y": T.STRING,
    }


def test_mixing_containers_with_anything_else_in_an_array_is_json() -> None:
    columns = infer_columns(
        {"properties": {"a": [{"x": 1}, 2], "b": [[1], "s"], "c": [{"x": 1}, [1]], "d": [{"x": 1}, None]}}
    ).columns
    for name in "abcd":
        assert columns[f"properties.{name}"] is T.ARRAY
        assert columns[f"properties.{name}[]"] is T.JSON
    assert "properties.a[].x" not in columns


def test_empty_array_records_only_the_array() -> None:
    assert infer_columns({"properties": {"tags": []}}).columns == {"properties.tags": T.ARRAY}


def test_depth_limit_records_where_it_stops_and_a_finding() -> None:
    deep = {"a": {"b": {"c": 1}}, "arr": [[1]], "ok": {"x": 1}, "empty": {"y": {}}}
    inference = infer_columns({"properties": deep}, Limits(max_depth=2))
    # A descended object is not a column itself; an empty one at the limit is
    # recorded without a finding, since nothing was cut off.
    assert inference.columns == {
        "properties.a.b": T.OBJECT,
        "properties.arr": T.ARRAY,
        "properties.arr[]": T.ARRAY,
        "properties.empty.y": T.OBJECT,
        "properties.ok.x": T.INTEGER,
    }
    assert inference.findings == (
        Finding("properties.a.b", "nesting deeper than 2 levels"),
        Finding("properties.arr[]", "nesting deeper than 2 levels"),
    )


def test_default_depth_limit_is_ten_levels() -> None:
    value: Any = 1
    for _ in range(11):
        value = {"k": value}
    inference = infer_columns({"properties": value})
    assert inference.columns == {"properties" + ".k" * 10: T.OBJECT}
    assert inference.findings == (Finding("properties" + ".k" * 10, "nesting deeper than 10 levels"),)


def test_column_limit_keeps_the_first_paths_in_sorted_order() -> None:
    props = {f"p{i:02d}": i for i in range(12)}
    inference = infer_columns({"properties": props}, Limits(max_columns=10))
    assert list(inference.columns) == [f"properties.p{i:02d}" for i in range(10)]
    assert inference.findings == (Finding("", "more than 10 columns; 2 dropped"),)


def test_limits_are_validated() -> None:
    with pytest.raises(InvalidLimitsError) as info:
        Limits(max_depth=0)
    assert info.value.field == "max_depth"
    with pytest.raises(InvalidLimitsError):
        Limits(max_columns=0)


@given(sections, st.randoms(use_true_random=False))
def test_inference_does_not_depend_on_key_or_item_order(
    event: dict[str, Any], rnd: random.Random
) -> None:
    limits = Limits(max_depth=3, max_columns=8)
    assert infer_columns(shuffled(event, rnd), limits) == infer_columns(event, limits)


@given(sections)
def test_inference_output_is_sorted_and_bounded(event: dict[str, Any]) -> None:
    limits = Limits(max_depth=3, max_columns=8)
    inference = infer_columns(event, limits)
    assert list(inference.columns) == sorted(inference.columns)
    assert len(inference.columns) <= 8
    assert list(inference.findings) == sorted(inference.findings, key=lambda f: (f.path, f.reason))
