"""The node freezes its start-up heap and what outlives each full collection, so full
collections walk only what came since; it makes them rarer; and it walks the whole
heap now and then, so a cycle that was frozen while alive is freed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from streams.node.heap import FULL_COLLECTION_EVERY, Heap
from tests.clocks import ManualClock



class Node:
    """A cycle: each holds the other."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> Node:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def heap(clock: ManualClock) -> Iterator[Heap]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    heap = Heap(thaw_every=60.0, clock=clock)
    yield heap
    heap.stop()
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_a_full_collection_no_longer_walks_what_was_there_at_start_up(heap: Heap) -> None:
    long_lived = [[i] for i in range(200_000)]  # lists: always tracked
    gc.collect()
    tracked_before = len(gc.get_objects())
    frozen = heap.settle()
    assert frozen >= len(long_lived)
    # Frozen objects are out of every generation the collector walks.
    assert len(gc.get_objects()) < tracked_before - len(long_lived)
    del long_lived


def test_full_collections_wait_for_more_middle_generation_collections(heap: Heap) -> None:
    young, middle, full = gc.get_threshold()
    assert full < FULL_COLLECTION_EVERY
    heap.settle()
    # The young generations are collected as often as before: their pauses stay short.
    assert gc.get_threshold() == (young, middle, FULL_COLLECTION_EVERY)


def test_what_outlives_a_full_collection_is_frozen_after_it(heap: Heap) -> None:
    heap.settle()
    later = [[i] for i in range(50_000)]  # made after start-up, alive at the collection
    assert any(o is later for o in gc.get_objects())
    gc.collect()
    assert not any(o is later for o in gc.get_objects())
    assert gc.get_freeze_count() >= len(later)


def test_young_collections_freeze_nothing(heap: Heap) -> None:
    heap.settle()
    frozen = gc.get_freeze_count()
    later = [[i] for i in range(1_000)]
    gc.collect(0)
    gc.collect(1)
    assert gc.get_freeze_count() == frozen
    assert any(o is later for o in gc.get_objects())


def test_a_cycle_frozen_while_alive_is_freed_once_the_whole_heap_is_walked(heap: Heap, clock: ManualClock) -> None:
    heap.settle()
    held = cycle()
    alive = weakref.ref(held)
    gc.collect()  # the cycle, alive, is frozen after it
    del held  # garbage now: only the cycle holds it
    assert alive() is not None
    clock.now += 59.0
    gc.collect()
    assert alive() is not None  # frozen: not walked
    clock.now += 1.0
    gc.collect()  # thaw_every has passed: this one walks everything
    assert alive() is None


def test_stop_takes_the_callback_back(heap: Heap) -> None:
    heap.settle()
    heap.stop()
    frozen = gc.get_freeze_count()
    later = [[i] for i in range(1_000)]
    gc.collect()
    assert gc.get_freeze_count() == frozen
    assert any(o is later for o in gc.get_objects())
