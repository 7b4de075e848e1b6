"""The table rows' and records' hand-written codecs against msgspec, on the same bytes.

Each kind is read from and written to the JSON it is stored as today: the hand-written
path (``orjson`` and the ``to_dict``/``from_dict`` pair over ``schemas.reader.Reader``)
and a ``msgspec.Struct`` mirror of the same fields (msgspec's typed decode checks every
field and names where a bad one is). The rows come from real folds of generated
traffic. Times are CPU time per row, best of several runs. (The timeline's rows are the
log's events, decoded by msgspec since route-events adopted it: no row here.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec
import orjson

from query.domain import ProfileState, apply_event
from registry import (
    Cause,
    ChangeKind,
    ColumnState,
    ColumnType,
    PiiClassification,
    Policy,
    SchemaKey,
    SchemaState,
    column_from_dict,
    column_to_dict,
    fold_events,
    infer_columns,
)
from schemas import Event, EventType, parse_call
from streams.ops.loadgen import generate

RUNS = 7


class _Change(msgspec.Struct, frozen=True):
    k: ChangeKind
    o: ColumnType
    f: ColumnType | None
    to: ColumnType
    ver: int
    at: int
    mid: str
    pt: int
    off: int
    et: int


class _Column(msgspec.Struct, frozen=True):
    t: ColumnType
    n: bool
    fs: int
    ls: int
    c: int
    tc: dict[ColumnType, int]
    p: Policy
    v: int
    h: list[_Change]
    pii: PiiClassification
    pk: str | None


class _Schema(msgspec.Struct, frozen=True):
    v: int
    n: int
    fs: int
    ls: int
    c: list[str]
    f: int
    cf: int
    vi: int


class _Profile(msgspec.Struct, frozen=True):
    fs: int
    ls: int
    tr: dict[str, tuple[Any, int, str]]
    n: dict[EventType, int]
    g: list[str]


def _events(count: int) -> list[Event]:
    return [
        parse_call(call, None, source="bench", received_at_ms=1_700_000_000_000, new_id=lambda: "x", from_json=True)
        for call in generate(seed=3, users=200, events=count)
    ]


Kind = tuple[list[bytes], Callable[[bytes], object], Callable[[object], bytes], type[Any]]


def _rows(events: list[Event]) -> dict[str, Kind]:
    schemas: dict[SchemaKey, SchemaState] = {}
    columns: dict[SchemaKey, dict[str, ColumnState]] = {}
    profiles: dict[str, ProfileState] = {}
    for offset, event in enumerate(events):
        key = SchemaKey("bench", event.type.value, event.schema_event_name)
        inference = infer_columns({"properties": event.properties, "traits": event.traits, "context": event.context})
        cause = Cause(event.message_id, 0, offset, event.timestamp_ms)
        result = fold_events(key, schemas.get(key), columns.setdefault(key, {}), [(inference, offset, cause)])
        schemas[key] = result.schema
        columns[key].update(result.columns)
        user = event.user_id or event.anonymous_id or ""
        profiles[user] = apply_event(profiles.get(user), event)
    return {
        "column state (schema-columns)": (
            [orjson.dumps(column_to_dict(c)) for cs in columns.values() for c in cs.values()],
            lambda raw: column_from_dict(orjson.loads(raw)),
            lambda value: orjson.dumps(column_to_dict(value)),  # type: ignore[arg-type]
            _Column,
        ),
        "schema summary (schemas)": (
            [orjson.dumps(s.to_dict()) for s in schemas.values()],
            lambda raw: SchemaState.from_dict(orjson.loads(raw)),
            lambda value: orjson.dumps(value.to_dict()),  # type: ignore[attr-defined]
            _Schema,
        ),
        "profile (profiles)": (
            [orjson.dumps(p.to_dict()) for p in profiles.values()],
            lambda raw: ProfileState.from_dict(orjson.loads(raw)),
            lambda value: orjson.dumps(value.to_dict()),  # type: ignore[attr-defined]
            _Profile,
        ),
    }


def _per_row(rows: list[Any], work: Callable[[Any], object]) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.process_time()
        for raw in rows:
            work(raw)
        best = min(best, time.process_time() - started)
    return best / len(rows) * 1e6


def main(quick: bool) -> list[tuple[str, str]]:
    table: list[tuple[str, str]] = []
    encoder = msgspec.json.Encoder()
    for name, (rows, decode, encode, struct) in _rows(_events(2_000 if quick else 20_000)).items():
        decoder = msgspec.json.Decoder(struct)
        values, structs = [decode(raw) for raw in rows], [decoder.decode(raw) for raw in rows]
        # The mirror reads what the hand-written codec wrote, to the same bytes.
        assert all(orjson.loads(encoder.encode(v)) == orjson.loads(raw) for v, raw in zip(structs[:50], rows))
        decoded = _per_row(rows, decode), _per_row(rows, decoder.decode)
        encoded = _per_row(values, encode), _per_row(structs, encoder.encode)
        table.append(
            (
                f"{name}: {len(rows):,} rows of {sum(map(len, rows)) // len(rows)} bytes",
                f"decode: hand-written {decoded[0]:.2f} µs, msgspec {decoded[1]:.2f} µs ({decoded[0] / decoded[1]:.1f}×); "
                f"encode: {encoded[0]:.2f} µs, {encoded[1]:.2f} µs ({encoded[0] / encoded[1]:.1f}×)",
            )
        )
    return table
