"""Records of identity links: one per route-events step, folded by fold-identities."""

from __future__ import annotations

import orjson
import pytest

from query.domain import Identifier, IdentityGuards, LinkCause, link
from tests.unit.query.memory_graph import MemoryGraph
from query.domain.identity import ANONYMOUS_ID, USER_ID
from schemas import EventType
from streams.folds.links import GraphTables, LinkFold, StatedLink, link_records


def _stated(n: int) -> StatedLink:
    user, anon = Identifier(USER_ID, f"u{n % 4}"), Identifier(ANONYMOUS_ID, f"a{n}")
    names = {user.value: f"sealed-{user.value}", anon.value: f"sealed-{anon.value}"}
    return link(user, anon), LinkCause(f"m{n}", EventType.TRACK, 1_000 + n), names


def _fold(records: list[bytes]) -> tuple[LinkFold, list[int]]:
    fold = LinkFold({}, {}, {}, IdentityGuards())
    counts = [fold.fold(value).links for value in records]
    return fold, counts


def test_a_steps_links_fold_as_applying_each_in_order_however_the_records_split() -> None:
    links = [_stated(n) for n in range(30)]
    expected = MemoryGraph()
    for stated_link, cause, _ in links:
        expected.link(stated_link, cause)
    one = link_records(links)
    split = link_records(links, limit=600)
    assert len(one) == 1 and len(split) > 3
    for records in (one, split):
        fold, counts = _fold(records)
        assert sum(counts) == len(links)
        graph = GraphTables(fold.identities, fold.members)
        for identifier, profile_id in expected.assigned.items():
            assert graph.profile_of(identifier) == profile_id
        for profile_id, identities in expected.profiles.items():
            assert graph.identities(profile_id) == identities
        # Each identifier's sealed name is kept, under its identity key.
        assert sorted(fold.names.values()) == sorted({f"sealed-{i.value}".encode() for i in expected.assigned})


def test_no_links_make_no_record() -> None:
    assert link_records([]) == []


def test_an_entry_that_cannot_be_read_is_set_aside_and_the_rest_fold() -> None:
    good = orjson.loads(link_records([_stated(1), _stated(2)])[0])["links"]
    value = orjson.dumps({"links": [good[0], {"l": {"a": {"k": "user_id"}}, "c": {}}, "x", good[1]]})
    folded = LinkFold({}, {}, {}).fold(value)
    assert len(folded.results) == 2 and folded.links == 4
    assert [i for i, _ in folded.failures] == [1, 2]
    assert "v" in folded.failures[0][1]  # names the missing field


@pytest.mark.parametrize("value", [b"{", b"[]", b'{"links": 3}', b'{"other": []}'])
def test_a_value_that_is_no_record_raises_naming_links(value: bytes) -> None:
    with pytest.raises(ValueError, match="links"):
        LinkFold({}, {}, {}).fold(value)
