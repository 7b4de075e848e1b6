"""Composite table keys.

Keys scoped to a schema (or an identity) are length-prefixed
(``len(scope) | scope | rest``), so one scope's prefix can never be a prefix of
another scope's keys, whatever bytes event names hold.
"""

from __future__ import annotations

import struct

_LEN = struct.Struct(">H")


def scoped(scope: bytes) -> bytes:
    """The prefix every key of ``scope`` starts with (and no other scope's keys do)."""
    return _LEN.pack(len(scope)) + scope


def column_key(schema_key: bytes, path: str) -> bytes:
    return scoped(schema_key) + path.encode()


def dedupe_key(scope: bytes, message_id: str) -> bytes:
    return scoped(scope) + message_id.encode()


# The schema-change index (per partition): each change under both orders it is served
# in, and the number of changes each order holds.
_ALL_CHANGES = b"a"
_SOURCE_CHANGES = b"s"
_ALL_COUNT = b"n"
_SOURCE_COUNT = b"m"


def change_index_prefix(source: str | None) -> bytes:
    """The prefix of the index keys of every change (of ``source``, when given)."""
    return _ALL_CHANGES if source is None else _SOURCE_CHANGES + scoped(source.encode())


def change_count_key(source: str | None) -> bytes:
    """The key of the number of changes (of ``source``, when given) in one partition."""
    return _ALL_COUNT if source is None else _SOURCE_COUNT + source.encode()
