"""What every agent shares: step sizes, the Faust stream it reads, the pace it keeps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

# Events folded per step: table writes and changelog messages are made once per key
# per batch. A step stays short (tens of ms), so reads on the same loop stay fast.
BATCH = 500
BATCH_WAIT = 0.05
# A record of the events log holds one request's events of one partition (tens, from a
# batching SDK; one, from a browser's single call): route-events takes as many records
# a step as come to about BATCH events from batching clients.
ROUTE_RECORDS = 40
# ...and folds them in parts of about this many bytes of records, each flushed on its
# own (route_parts): ``tracklog import`` writes records of hundreds of events, and 40 of
# them made a step of 10,000 events whose write-back, RocksDB write and changelog
# sends (none of which yields) held the loop for 100-250 ms each. A part of 256 KB is
# ~600 imported events, or 30 records of an SDK's batches (~8 KB each); at 512 KB a
# page read during an import still met a hold over 100 ms now and then. Folding 30,000
# preloaded events ran as fast either way, within the machine's noise.
ROUTE_PART_BYTES = 256 * 1024
# Rows each agent keeps decoded between steps, over all its partitions (so its memory
# does not grow with users): every column of every schema is the working set of
# fold-schemas; recent users that of route-events.
KEEP_SCHEMA_ROWS = 50_000
KEEP_PROFILES = 50_000


def route_parts(records: list[T], size: Callable[[T], int], most: int = ROUTE_PART_BYTES) -> Iterator[list[T]]:
    """``records`` in order, in runs of about ``most`` bytes (``size`` of each): a run
    ends with the record that reaches ``most``, so each has at least one record."""
    part: list[T] = []
    total = 0
    for record in records:
        part.append(record)
        total += size(record)
        if total >= most:
            yield part
            part, total = [], 0
    if part:
        yield part


# Called once per event of a step: lets the loop run other tasks (streams.pacing).
Pace = Callable[[], Awaitable[None]]


async def no_pace() -> None:
    """A pace that never yields (steps run outside the node: tests, tools)."""
