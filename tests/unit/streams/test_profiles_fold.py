"""The profile fold over plain dicts: which identity links route-events sends on."""

from __future__ import annotations

import uuid

from tests.unit.query.memory_graph import MemoryGraph
from schemas import Event, EventType, parse_call
from streams.folds.events import EventFold


def _track(user: str, anon: str, n: int) -> Event:
    return parse_call(
        {"userId": user, "anonymousId": anon, "event": "Viewed", "messageId": f"m{n}", "timestamp": "2026-11-23T09:00:00.000Z"},
        EventType.TRACK,
        source="web",
        received_at_ms=1_795_424_400_000 + n,
        new_id=lambda: str(uuid.uuid4()),
    )


def _fold(keep: int) -> tuple[EventFold, dict[bytes, bytes]]:
    dedupe: dict[bytes, bytes] = {}
    return EventFold(dedupe, {}, {}, keep=keep), dedupe


def test_a_link_is_sent_once_while_the_fold_remembers_it() -> None:
    fold, _ = _fold(keep=100)
    first = fold.fold(b"u1", _track("u1", "a1", 1))
    again = fold.fold(b"u1", _track("u1", "a1", 2))
    fold.write_back()
    later = fold.fold(b"u1", _track("u1", "a1", 3))
    other = fold.fold(b"u1", _track("u1", "a2", 4))
    assert len(first) == 1 and again == [] and later == []
    [(link, _)] = other
    assert {link.a.value, link.b.value} == {"u1", "a2"}


def test_the_remembered_links_are_bounded_and_a_forgotten_one_is_sent_again() -> None:
    fold, _ = _fold(keep=1)
    fold.fold(b"u1", _track("u1", "a1", 1))
    fold.fold(b"u1", _track("u1", "a2", 2))
    fold.write_back()  # two remembered, more than keep: the one stated first is forgotten
    assert fold.fold(b"u1", _track("u1", "a2", 3)) == []
    assert len(fold.fold(b"u1", _track("u1", "a1", 4))) == 1


def test_the_links_stated_last_are_the_ones_remembered() -> None:
    fold, _ = _fold(keep=2)
    fold.fold(b"u1", _track("u1", "a1", 1))
    fold.fold(b"u1", _track("u1", "a2", 2))
    fold.fold(b"u1", _track("u1", "a1", 3))  # a1 stated again: now the most recent
    fold.fold(b"u1", _track("u1", "a3", 4))
    fold.write_back()  # three remembered, keep two: a2, stated longest ago, goes
    assert fold.fold(b"u1", _track("u1", "a1", 5)) == []
    assert fold.fold(b"u1", _track("u1", "a3", 6)) == []
    assert len(fold.fold(b"u1", _track("u1", "a2", 7))) == 1


def test_the_graph_from_links_sent_once_equals_the_graph_from_every_link() -> None:
    calls = [_track(f"u{n % 3}", f"a{n % 5}", n) for n in range(40)]
    fold, _ = _fold(keep=1000)
    once = MemoryGraph()
    for n, call in enumerate(calls):
        for stated in fold.fold(f"k{n}".encode(), call):
            once.link(*stated)
    every = MemoryGraph()
    for n, call in enumerate(calls):
        for stated in EventFold({}, {}, {}).fold(f"k{n}".encode(), call):
            every.link(*stated)
    assert once.assigned == every.assigned
    assert once.profiles == every.profiles
