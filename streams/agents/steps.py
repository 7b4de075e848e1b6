"""What every agent shares: step sizes, the Faust stream it reads, the pace it keeps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

# Events folded per step: table writes and changelog messages are made once per key
# per batch. A step stays short (tens of ms), so reads on the same loop stay fast.
BATCH = 500
BATCH_WAIT = 0.05
# A record of the events log holds one request's events of one partition (tens, from a
# batching SDK; one, from a browser's single call): route-events takes as many records
# a step as come to about BATCH events from batching clients.
ROUTE_RECORDS = 40
# Rows each agent keeps decoded between steps, over all its partitions (so its memory
# does not grow with users): every column of every schema is the working set of
# fold-schemas; recent users that of route-events.
KEEP_SCHEMA_ROWS = 50_000
KEEP_PROFILES = 50_000

# Called once per event of a step: lets the loop run other tasks (streams.pacing).
Pace = Callable[[], Awaitable[None]]


async def no_pace() -> None:
    """A pace that never yields (steps run outside the node: tests, tools)."""
