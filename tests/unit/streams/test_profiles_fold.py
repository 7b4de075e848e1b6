"""The profile fold over plain dicts: which identity links route-events sends on."""

from __future__ import annotations

import uuid

from tests.keys import MemoryKeys, privacy, seal
from tests.unit.query.memory_graph import MemoryGraph
from schemas import Event, EventType, encode_event, parse_call
from schemas.sealed import read_envelope
from streams.folds.events import EventFold
from streams.folds.links import StatedLink
from streams.folds.rows import RowDict

PRIVACY = privacy(MemoryKeys())


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
    return EventFold(dedupe, {}, RowDict(), PRIVACY, keep=keep), dedupe


def _folded(fold: EventFold, event: Event) -> list[StatedLink]:
    """The links ``fold`` states for ``event``, sealed as the edge seals it."""
    sealed = seal(PRIVACY, encode_event(event))
    return fold.fold(event, sealed, read_envelope(sealed)[0])


def test_a_link_is_sent_once_while_the_fold_remembers_it() -> None:
    fold, _ = _fold(keep=100)
    first = _folded(fold, _track("u1", "a1", 1))
    again = _folded(fold, _track("u1", "a1", 2))
    fold.write_back()
    later = _folded(fold, _track("u1", "a1", 3))
    other = _folded(fold, _track("u1", "a2", 4))
    assert len(first) == 1 and again == [] and later == []
    [(link, _, names)] = other
    assert {link.a.value, link.b.value} == {PRIVACY.pseudonyms.value("user_id", "u1"), PRIVACY.pseudonyms.value("anonymous_id", "a2")}
    assert sorted(PRIVACY.open(n.encode())[0] for n in names.values()) == [b"a2", b"u1"]  # type: ignore[index]


def test_the_remembered_links_are_bounded_and_a_forgotten_one_is_sent_again() -> None:
    fold, _ = _fold(keep=1)
    _folded(fold, _track("u1", "a1", 1))
    _folded(fold, _track("u1", "a2", 2))
    fold.write_back()  # two remembered, more than keep: the one stated first is forgotten
    assert _folded(fold, _track("u1", "a2", 3)) == []
    assert len(_folded(fold, _track("u1", "a1", 4))) == 1


def test_the_links_stated_last_are_the_ones_remembered() -> None:
    fold, _ = _fold(keep=2)
    _folded(fold, _track("u1", "a1", 1))
    _folded(fold, _track("u1", "a2", 2))
    _folded(fold, _track("u1", "a1", 3))  # a1 stated again: now the most recent
    _folded(fold, _track("u1", "a3", 4))
    fold.write_back()  # three remembered, keep two: a2, stated longest ago, goes
    assert _folded(fold, _track("u1", "a1", 5)) == []
    assert _folded(fold, _track("u1", "a3", 6)) == []
    assert len(_folded(fold, _track("u1", "a2", 7))) == 1


def test_the_graph_from_links_sent_once_equals_the_graph_from_every_link() -> None:
    calls = [_track(f"u{n % 3}", f"a{n % 5}", n) for n in range(40)]
    fold, _ = _fold(keep=1000)
    once = MemoryGraph()
    for call in calls:
        for link, cause, _ in _folded(fold, call):
            once.link(link, cause)
    every = MemoryGraph()
    for call in calls:
        for link, cause, _ in _folded(_fold(keep=0)[0], call):
            every.link(link, cause)
    assert once.assigned == every.assigned
    assert once.profiles == every.profiles
