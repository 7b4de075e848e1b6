"""registry.history: reading a schema as of a version or time, and diffing versions."""

from __future__ import annotations

from registry.column import Cause, ColumnState
from registry.history import AsOfColumn, ColumnDiff, columns_as_of, diff
from registry.infer import Inference
from registry.key import SchemaKey
from registry.batch import fold_event
from registry.schema import SchemaState
from registry.types import ColumnType

T = ColumnType
KEY = SchemaKey("web", "track", "Order Completed")


def small_history() -> dict[str, ColumnState]:
    """Versions: 1 plan STRING, 2 price INTEGER (t=100); 3 price NUMBER (t=200);
    4 coupon STRING (t=300); 5 plan conflict stays STRING (t=400)."""
    events = [
        (100, {"properties.plan": T.STRING, "properties.price": T.INTEGER}),
        (200, {"properties.price": T.NUMBER, "properties.plan": T.NULL}),
        (300, {"properties.coupon": T.STRING}),
        (400, {"properties.plan": T.INTEGER}),
    ]
    schema: SchemaState | None = None
    columns: dict[str, ColumnState] = {}
    for n, (at, observed) in enumerate(events):
        result = fold_event(KEY, schema, columns, Inference(observed, ()), at_ms=at, cause=Cause(f"m{n}", 0, n, at))
        schema = result.schema
        columns.update(result.columns)
    assert schema is not None and schema.version == 5
    return columns


def test_as_of_a_version() -> None:
    columns = small_history()
    assert columns_as_of(columns, version=0) == {}
    assert columns_as_of(columns, version=2) == {
        "properties.plan": AsOfColumn("properties.plan", T.STRING, 1, 100, 1),
        "properties.price": AsOfColumn("properties.price", T.INTEGER, 2, 100, 2),
    }
    as_of_3 = columns_as_of(columns, version=3)
    assert as_of_3["properties.price"] == AsOfColumn("properties.price", T.NUMBER, 2, 100, 3)
    assert "properties.coupon" not in as_of_3


def test_as_of_a_time() -> None:
    columns = small_history()
    assert columns_as_of(columns, time_ms=99) == {}
    assert {p: c.type for p, c in columns_as_of(columns, time_ms=150).items()} == {
        "properties.plan": T.STRING,
        "properties.price": T.INTEGER,
    }
    assert list(columns_as_of(columns, time_ms=300)) == [
        "properties.coupon",
        "properties.plan",
        "properties.price",
    ]


def test_as_of_now_is_the_current_schema() -> None:
    columns = small_history()
    now = columns_as_of(columns)
    assert {p: c.type for p, c in now.items()} == {p: s.type for p, s in columns.items()}
    assert now["properties.plan"].changed_version == 5


def test_diff_between_versions() -> None:
    columns = small_history()
    assert diff(columns, 2, 4) == [
        ColumnDiff("properties.coupon", "ADDED", None, T.STRING),
        ColumnDiff("properties.price", "CHANGED", T.INTEGER, T.NUMBER),
    ]
    # The conflict at version 5 kept plan a STRING: it changed all the same.
    assert diff(columns, 4, 5) == [
        ColumnDiff("properties.plan", "CHANGED", T.STRING, T.STRING, (T.INTEGER,)),
    ]
    assert diff(columns, 5, 4) == diff(columns, 4, 5)
    assert diff(columns, 5, 5) == []
    assert diff(columns, 3, 1) == [
        ColumnDiff("properties.price", "REMOVED", T.NUMBER, None),
    ]
    assert diff(columns, 3, 3) == []
