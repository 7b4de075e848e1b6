"""The pure schema fold (inference + per-column history) against genson, same events."""

from __future__ import annotations

import time

from genson import SchemaBuilder

from registry import Cause, ColumnState, SchemaKey, SchemaState, fold_event, infer_columns
from streams.loadgen import generate


def _events(count: int) -> list[dict[str, object]]:
    return [call for call in generate(seed=3, users=500, events=count)]


def _ours(calls: list[dict[str, object]]) -> float:
    schemas: dict[SchemaKey, SchemaState] = {}
    columns: dict[SchemaKey, dict[str, ColumnState]] = {}
    started = time.perf_counter()
    for offset, call in enumerate(calls):
        key = SchemaKey("bench", str(call["type"]), call.get("event") if call["type"] == "track" else None)  # type: ignore[arg-type]
        sections = {name: call.get(name) for name in ("properties", "traits", "context")}
        result = fold_event(
            key,
            schemas.get(key),
            columns.setdefault(key, {}),
            infer_columns(sections),
            at_ms=offset,
            cause=Cause(str(call["messageId"]), 0, offset, offset),
        )
        schemas[key] = result.schema
        columns[key].update(result.columns)
    return len(calls) / (time.perf_counter() - started)


def _genson(calls: list[dict[str, object]]) -> float:
    builders: dict[tuple[object, object], SchemaBuilder] = {}
    started = time.perf_counter()
    for call in calls:
        key = (call["type"], call.get("event"))
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = SchemaBuilder()
        builder.add_object({name: call.get(name) for name in ("properties", "traits", "context")})
    return len(calls) / (time.perf_counter() - started)


def main(quick: bool) -> list[tuple[str, str]]:
    calls = _events(2_000 if quick else 50_000)
    ours, theirs = _ours(calls), _genson(calls)
    return [
        ("Tracklog fold (types, counts, history)", f"{ours:,.0f} events/s"),
        ("genson SchemaBuilder (types only)", f"{theirs:,.0f} events/s"),
        ("ratio (target ≥ 5×)", f"{ours / theirs:.2f}×"),
    ]
