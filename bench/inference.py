"""The pure schema fold (inference + per-column history) against genson, same events.

Two ways to fold: the way the node folds, where route-events groups a step of 500
consecutive events by schema key in arrival order and fold-schemas folds each group
at once (`fold_events`), and event by event (`fold_event`). Both end in the same
states, which is checked; genson only infers types.

All three are single-threaded and CPU-bound, and the machines are shared, so
each is timed in CPU time of this process (`time.process_time`: time spent
waiting for a core is not counted), run a few times interleaved, and the
best run counts. The generated events (about a million objects) are frozen
out of the cyclic garbage collector while they are measured: otherwise every
full collection walks them all, and lands on whichever run triggers it.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from genson import SchemaBuilder

from registry import (
    Cause,
    ColumnState,
    Inference,
    SchemaKey,
    SchemaState,
    column_to_dict,
    fold_event,
    fold_events,
    infer_columns,
)
from streams.ops.loadgen import generate

BATCH = 500

Folded = tuple[dict[SchemaKey, SchemaState], dict[SchemaKey, dict[str, ColumnState]]]


def _events(count: int) -> list[dict[str, object]]:
    return [call for call in generate(seed=3, users=500, events=count)]


def _ours(calls: list[dict[str, object]]) -> tuple[float, Folded]:
    schemas: dict[SchemaKey, SchemaState] = {}
    columns: dict[SchemaKey, dict[str, ColumnState]] = {}
    started = time.process_time()
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
    return len(calls) / (time.process_time() - started), (schemas, columns)


def _ours_batched(calls: list[dict[str, object]]) -> tuple[float, Folded]:
    schemas: dict[SchemaKey, SchemaState] = {}
    columns: dict[SchemaKey, dict[str, ColumnState]] = {}
    keys: dict[tuple[object, object], SchemaKey] = {}
    started = time.process_time()
    for start in range(0, len(calls), BATCH):
        # The agent groups a batch by the message key (bytes) and decodes each key once.
        batches: dict[tuple[object, object], list[tuple[Inference, int, Cause]]] = {}
        for offset in range(start, min(start + BATCH, len(calls))):
            call = calls[offset]
            raw_key = (call["type"], call.get("event") if call["type"] == "track" else None)
            sections = {name: call.get(name) for name in ("properties", "traits", "context")}
            event = (infer_columns(sections), offset, Cause(str(call["messageId"]), 0, offset, offset))
            batch = batches.get(raw_key)
            if batch is None:
                batches[raw_key] = [event]
            else:
                batch.append(event)
        for raw_key, events in batches.items():
            key = keys.get(raw_key)
            if key is None:
                event_name = None if raw_key[1] is None else str(raw_key[1])
                key = keys[raw_key] = SchemaKey("bench", str(raw_key[0]), event_name)
            result = fold_events(key, schemas.get(key), columns.setdefault(key, {}), events)
            schemas[key] = result.schema
            columns[key].update(result.columns)
    return len(calls) / (time.process_time() - started), (schemas, columns)


def _genson(calls: list[dict[str, object]]) -> float:
    builders: dict[tuple[object, object], SchemaBuilder] = {}
    started = time.process_time()
    for call in calls:
        key = (call["type"], call.get("event"))
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = SchemaBuilder()
        builder.add_object({name: call.get(name) for name in ("properties", "traits", "context")})
    return len(calls) / (time.process_time() - started)


def _stored(folded: Folded) -> tuple[dict[SchemaKey, Any], dict[SchemaKey, Any]]:
    schemas, columns = folded
    return (
        {k: s.to_dict() for k, s in schemas.items()},
        {k: {p: column_to_dict(c) for p, c in sorted(cs.items())} for k, cs in columns.items()},
    )


def main(quick: bool) -> list[tuple[str, str]]:
    calls = _events(2_000 if quick else 50_000)
    ours: list[float] = []
    batched: list[float] = []
    theirs: list[float] = []
    gc.collect()
    gc.freeze()
    try:
        for _ in range(1 if quick else 3):
            rate, per_event_state = _ours(calls)
            ours.append(rate)
            rate, batched_state = _ours_batched(calls)
            batched.append(rate)
            theirs.append(_genson(calls))
    finally:
        gc.unfreeze()
    if _stored(per_event_state) != _stored(batched_state):
        raise AssertionError("the batch fold and the per-event fold disagree")
    best, best_batched, best_theirs = max(ours), max(batched), max(theirs)
    return [
        (
            f"Tracklog fold as the node runs it: steps of {BATCH} events grouped by schema key (fold_events)",
            f"{best_batched:,.0f} events/s",
        ),
        ("Tracklog fold, event by event (fold_event)", f"{best:,.0f} events/s"),
        ("genson SchemaBuilder (types only)", f"{best_theirs:,.0f} events/s"),
        ("ratio, as the node folds (information: no longer a target)", f"{best_batched / best_theirs:.2f}×"),
        ("ratio, event by event", f"{best / best_theirs:.2f}×"),
    ]
