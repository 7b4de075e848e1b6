"""The node's heap once it has started: frozen out of the cyclic collector's walks."""

from __future__ import annotations

import gc

# A full collection at most once per this many collections of the middle generation
# (CPython's default is 10); see settle_heap.
FULL_COLLECTION_EVERY = 100


def settle_heap() -> int:
    """Take what start-up made out of the cyclic garbage collector's reach, and make
    full collections rarer; return how many objects were frozen.

    A node starts with ~100k objects that live as long as it does (modules, Faust,
    the GraphQL schema), and a full collection walks them all: ~70 ms here, a pause
    any read that lands on it waits out. Frozen (after collecting start-up's
    garbage), they are never walked again; what the node makes later still is.

    What it makes later includes the rows the agents keep decoded (50,000 profiles),
    which are replaced event by event: at CPython's thresholds a million events made
    84 full collections of ~350 ms each, 29 s of a 288 s drain, each a pause for
    reads too. With ``FULL_COLLECTION_EVERY`` the same drain made 10 (3.5 s), and
    its peak RSS stayed where it was: the rows die by reference count, not in cycles.
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    return gc.get_freeze_count()
