"""Classifications a read redacts by are read again once a second, not on every read."""

from __future__ import annotations

from streams.state.readers import Recent
from tests.clocks import ManualClock



class Store:
    def __init__(self) -> None:
        self.value = "GREEN"
        self.reads: list[str] = []

    async def read(self, key: str) -> str:
        self.reads.append(key)
        return f"{key}:{self.value}"


async def test_a_value_is_read_again_only_once_it_is_older_than_every() -> None:
    clock, store = ManualClock(), Store()
    recent: Recent[str, str] = Recent(1.0, keep=10, clock=clock)
    assert await recent.get("a", store.read) == "a:GREEN"
    store.value = "RED"
    clock.now += 1.0
    assert await recent.get("a", store.read) == "a:GREEN"  # a second old: still fresh enough
    clock.now += 0.01
    assert await recent.get("a", store.read) == "a:RED"
    assert store.reads == ["a", "a"]


async def test_each_key_is_kept_apart_and_at_most_keep_of_them() -> None:
    clock, store = ManualClock(), Store()
    recent: Recent[str, str] = Recent(1.0, keep=2, clock=clock)
    await recent.get("a", store.read)
    await recent.get("b", store.read)
    await recent.get("a", store.read)
    assert store.reads == ["a", "b"]
    await recent.get("c", store.read)  # past keep: what was kept is dropped
    await recent.get("a", store.read)
    assert store.reads == ["a", "b", "c", "a"]
