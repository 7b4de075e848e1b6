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
