"""Records that carry many items (a step's observations of a schema, a step's links)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

# A record stays well below the broker's and the producer's 1 MiB message limits: items
# that would encode larger are split in order.
RECORD_BYTES: Final = 256 * 1024

T = TypeVar("T")


def split_records(items: list[T], encode: Callable[[list[T]], bytes], limit: int = RECORD_BYTES) -> list[bytes]:
    """``items`` encoded as one record, or in order as several of at most ``limit`` bytes
    each (one item alone may be larger). No items, no records."""
    if not items:
        return []
    value = encode(items)
    if len(value) <= limit or len(items) == 1:
        return [value]
    half = len(items) // 2
    return split_records(items[:half], encode, limit) + split_records(items[half:], encode, limit)
