"""The node freezes its start-up heap, so full collections stop walking it, and makes
full collections rarer."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from streams.node.heap import FULL_COLLECTION_EVERY, settle_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_a_full_collection_no_longer_walks_what_was_there_at_start_up(unfrozen: None) -> None:
    long_lived = [[i] for i in range(200_000)]  # lists: always tracked
    gc.collect()
    tracked_before = len(gc.get_objects())
    frozen = settle_heap()
    assert frozen >= len(long_lived)
    # Frozen objects are out of every generation the collector walks.
    assert len(gc.get_objects()) < tracked_before - len(long_lived)
    del long_lived


def test_full_collections_wait_for_more_middle_generation_collections(unfrozen: None) -> None:
    young, middle, full = gc.get_threshold()
    assert full < FULL_COLLECTION_EVERY
    settle_heap()
    # The young generations are collected as often as before: their pauses stay short.
    assert gc.get_threshold() == (young, middle, FULL_COLLECTION_EVERY)
