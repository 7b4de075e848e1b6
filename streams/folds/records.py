"""Log records as the folds see them, and records that carry many items (a step's
observations of a schema, a step's links)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final, Protocol, TypeVar

Headers = Iterable[tuple[str, bytes]] | Mapping[str, bytes] | None


class Message(Protocol):
    """A record read from a topic: Faust's and aiokafka's messages both are one."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Headers: ...


def header(message: Message, name: str) -> bytes | None:
    """The value of header ``name`` of ``message``, if present."""
    headers = message.headers or ()
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        if key == name:
            return bytes(value)
    return None

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
