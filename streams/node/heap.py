"""The node's heap once it has started: what has lived through a full collection is
frozen out of the cyclic collector's later walks."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

# A full collection at most once per this many collections of the middle generation
# (CPython's default is 10); see Heap.
FULL_COLLECTION_EVERY = 20
# The whole heap is walked at least this often (seconds), so a cycle frozen while it
# was alive is freed within it once it is garbage; see Heap.
THAW_EVERY = 600.0


class Heap:
    """Keeps full collections short and rare.

    A node starts with ~100k objects that live as long as it does (modules, Faust,
    the GraphQL schema), and a full collection walks them all: ~70 ms here, a pause
    any read that lands on it waits out. ``settle`` freezes them (after collecting
    start-up's garbage): they are never walked again, while what the node makes later
    still is.

    What it makes later includes the rows the agents and readers keep decoded (50,000
    profiles; 20,000 columns of a thousand schemas), which are replaced row by row.
    Two things keep walking them from pausing reads:

    - what lived through a full collection is frozen once it is over, so the next one
      walks only what came since: with a thousand schemas' pages read, a full
      collection during an import took 51 ms, not 109-127 ms;
    - ``FULL_COLLECTION_EVERY``: before that freezing, at CPython's thresholds a million
      events made 84 full collections of ~350 ms each (each walked the whole heap),
      29 s of a 288 s drain, and once per 100 middle-generation collections made 10
      (3.5 s). With it, a full collection walks what came since the last, so how often
      they come changes their length, not their sum: at 100, loading a thousand schemas
      left ~176,000 objects for the next, a 46-67 ms pause that the first reads after
      the load met (their allocations trigger it); at 20 the load's are walked in
      pieces while it folds, and one at idle takes 3-4 ms. Peak RSS over a 90,000-event
      import stayed where it was (746 MiB at 100; 773 and 758 at 20).

    A frozen object is still freed when its reference count drops to zero, but a cycle
    among frozen objects never is. So at most every ``thaw_every`` seconds a full
    collection first unfreezes everything and walks the whole heap (one long pause),
    freeing any such cycle: a frozen cycle is garbage for at most that long.
    """

    def __init__(self, thaw_every: float = THAW_EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self._thaw_every = thaw_every
        self._clock = clock
        self._thawed = 0.0

    def settle(self) -> int:
        """Freeze what start-up made, make full collections rarer and keep freezing what
        outlives them; return how many objects were frozen."""
        gc.collect()
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
        self._thawed = self._clock()
        if self._on_collection not in gc.callbacks:
            gc.callbacks.append(self._on_collection)
        return gc.get_freeze_count()

    def stop(self) -> None:
        """Stop freezing what outlives a full collection (what is frozen stays frozen)."""
        if self._on_collection in gc.callbacks:
            gc.callbacks.remove(self._on_collection)

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            now = self._clock()
            if now - self._thawed >= self._thaw_every:
                gc.unfreeze()  # into the oldest generation: this collection walks it all
                self._thawed = now
        else:
            gc.freeze()
