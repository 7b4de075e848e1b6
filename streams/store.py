"""The one adapter that reaches Faust's RocksDB partition databases.

Faust's RocksDB store keeps one rocksdict per table partition and offers no range
scans; the read side needs them (every column of a schema, every schema of a source),
so this module scans the partition databases directly, read-only. Nothing else
touches ``Store._dbs``.

Composite keys are length-prefixed (``len(schema key) | schema key | rest``) so that a
schema's prefix can never be a prefix of another schema's keys, whatever bytes event
names hold.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import orjson

from registry import ColumnState, SchemaKey, SchemaState, prefix_for_source
from registry.column import from_dict as column_from_dict
from streams.app import Tracklog

_LEN = struct.Struct(">H")


def _scoped(schema_key: bytes) -> bytes:
    return _LEN.pack(len(schema_key)) + schema_key


def column_key(schema_key: bytes, path: str) -> bytes:
    return _scoped(schema_key) + path.encode()


def dedupe_key(schema_key: bytes, message_id: str) -> bytes:
    return _scoped(schema_key) + message_id.encode()


def _scan(table: Any, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Every (key, value) of ``table`` whose key starts with ``prefix``, all partitions."""
    store = table.data
    for db in list(store._dbs.values()):
        for key, value in db.items(from_key=prefix):
            if not key.startswith(prefix):
                break
            if key == store.offset_key:  # Faust's own bookkeeping, not a table row
                continue
            yield key, value


class TableSchemaReader:
    """Reads the schema registry tables of one node (``query.store.SchemaReader``)."""

    def __init__(self, tracklog: Tracklog) -> None:
        self._t = tracklog

    def get_schema(self, key: SchemaKey) -> SchemaState | None:
        raw = self._t.schemas.get(key.encode())
        return SchemaState.from_dict(orjson.loads(raw)) if raw is not None else None

    def list_schemas(self, source: str | None = None) -> list[tuple[SchemaKey, SchemaState]]:
        prefix = prefix_for_source(source) if source is not None else b""
        found = [
            (SchemaKey.decode(key), SchemaState.from_dict(orjson.loads(value)))
            for key, value in _scan(self._t.schemas, prefix)
        ]
        found.sort(key=lambda item: item[0].encode())
        return found

    def get_columns(self, key: SchemaKey) -> dict[str, ColumnState]:
        prefix = _scoped(key.encode())
        columns = {
            raw_key[len(prefix) :].decode(): column_from_dict(orjson.loads(value))
            for raw_key, value in _scan(self._t.columns, prefix)
        }
        return dict(sorted(columns.items()))
