"""The byte encoding of an identifier, used as a table key and a key prefix.

`kind` and `value` are each UTF-8 with a 2-byte big-endian length before
them. Because the lengths fix where the encoding ends, no identifier's
encoding is a proper prefix of another's: a range scan over one identifier's
prefix never reaches a neighbour's rows.
"""

from __future__ import annotations

from query.domain.errors import InvalidKeyError
from query.domain.identity import Identifier

_MAX_PART = 0xFFFF


def encode_identifier(identifier: Identifier) -> bytes:
    """The identifier's key bytes; InvalidKeyError if a part is over 65535 bytes."""
    kind = identifier.kind.encode()
    value = identifier.value.encode()
    for part in (kind, value):
        if len(part) > _MAX_PART:
            reason = f"identifier part is {len(part)} bytes, over {_MAX_PART}"
            raise InvalidKeyError(part[:64], reason)
    return len(kind).to_bytes(2, "big") + kind + len(value).to_bytes(2, "big") + value


def decode_identifier(key: bytes) -> tuple[Identifier, int]:
    """The identifier at the start of `key`, and where its encoding ends."""
    kind, at = _part(key, 0)
    value, end = _part(key, at)
    return Identifier(kind, value), end


def _part(key: bytes, at: int) -> tuple[str, int]:
    if len(key) < at + 2:
        raise InvalidKeyError(key, "truncated identifier length")
    size = int.from_bytes(key[at : at + 2], "big")
    end = at + 2 + size
    if len(key) < end:
        raise InvalidKeyError(key, "truncated identifier")
    try:
        return key[at + 2 : end].decode(), end
    except UnicodeDecodeError:
        raise InvalidKeyError(key, "identifier is not UTF-8") from None
