"""How long an agent step holds the event loop the node also answers HTTP on.

Agents fold in steps of hundreds of events, on the loop that serves GraphQL and
ingestion. ``Pacer`` makes a step let other tasks run every few milliseconds, and
sooner while ``Requests`` (counted by ``streams.edge.app``) says a request is in flight.

So while the agents fold, every turn of the loop a read takes waits behind each
agent's slice. A read of a node's own tables never suspends, so the reads of one page
or query are awaited in turn, not gathered: ``asyncio.gather`` makes each a task, and a
task and its gathering take turns of their own. During an import that was ~10 ms of a
profile page's p50 of ~40 ms. (A read forwarded to a peer, in a cluster, costs a
loopback round trip per read in turn, ~1.5 ms, not one per peer.)
"""

from __future__ import annotations

import asyncio
import time

# The longest a step holds the event loop before it lets other tasks run (see Pacer);
# the shorter while the node is answering HTTP requests.
SLICE = 0.005
BUSY_SLICE = 0.001


class Requests:
    """How many HTTP requests the node is answering (``streams.edge.app`` counts them)."""

    def __init__(self) -> None:
        self.count = 0


class Pacer:
    """Lets the event loop run other tasks once a step has held it for a slice.

    A step of 500 events is ~100 ms of CPU. The node answers HTTP on the same loop, so
    a request arriving mid-step would wait for the rest of it; with a pacer called once
    per event it waits for at most a slice. A request takes several turns of the loop
    (read, parse, produce, the broker's ack, answer) and each agent may hold a turn for
    a slice, so while ``requests`` has any in flight the slice is ``busy_slice_s``. A
    step's changelog sends never yield (``PartitionBuffers.flush``); only the folding
    between them does.
    """

    def __init__(
        self, slice_s: float = SLICE, *, busy_slice_s: float = BUSY_SLICE, requests: Requests | None = None
    ) -> None:
        self._slice = slice_s
        self._busy_slice = busy_slice_s
        self._requests = requests
        self._since = time.perf_counter()

    async def __call__(self) -> None:
        held = time.perf_counter() - self._since
        if held >= self._slice or (
            held >= self._busy_slice and self._requests is not None and self._requests.count
        ):
            await asyncio.sleep(0)
            self._since = time.perf_counter()
