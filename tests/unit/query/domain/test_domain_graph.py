"""query.domain.graph: the identity graph fold, its guards and its merge log."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.query.memory_graph import MemoryGraph
from query.domain.graph import (
    LinkCause,
    ProfileIdentities,
    RefusalReason,
    apply_link,
    profile_id_for,
    resolve,
)
from query.domain.identity import (
    ANONYMOUS_ID,
    EMAIL,
    USER_ID,
    Identifier,
    IdentityGuards,
    Link,
    link,
    links_of,
    sort_identifiers,
)
from schemas.event import Event, EventType
from tests.unit.query.domain.builders import make_event

def U(value: str) -> Identifier:  # noqa: N802 - reads like a constructor
    return Identifier(USER_ID, value)


def A(value: str) -> Identifier:  # noqa: N802
    return Identifier(ANONYMOUS_ID, value)


def cause(n: int = 1) -> LinkCause:
    return LinkCause(f"m{n}", EventType.IDENTIFY, 1_000 * n)


def feed(graph: MemoryGraph, events: list[Event], guards: IdentityGuards | None = None) -> None:
    for e in events:
        for lk in links_of(e):
            graph.link(lk, LinkCause.of(e), guards)


def check_invariants(graph: MemoryGraph) -> None:
    """Every member row points at its profile; every profile is keyed by its anchor."""
    for profile_id, identities in graph.profiles.items():
        assert identities.profile_id == profile_id
        assert list(identities.members) == sort_identifiers(identities.members)
        for member in identities.members:
            assert graph.assigned[member] == profile_id
    for identifier, profile_id in graph.assigned.items():
        assert identifier in graph.profiles[profile_id].members


def test_anonymous_browsing_identify_then_alias_from_a_second_device() -> None:
    graph = MemoryGraph()
    feed(
        graph,
        [
            make_event(EventType.PAGE, message_id="m1", anonymous_id="anon-laptop", timestamp_ms=1),
            make_event(
                EventType.IDENTIFY,
                message_id="m2",
                anonymous_id="anon-laptop",
                user_id="ann",
                traits={"email": "Ann@x.io"},
                timestamp_ms=2,
            ),
            make_event(EventType.TRACK, message_id="m3", anonymous_id="anon-phone", timestamp_ms=3),
            make_event(
                EventType.ALIAS,
                message_id="m4",
                anonymous_id="anon-phone",
                user_id="ann",
                previous_id="anon-phone",
                timestamp_ms=4,
            ),
        ],
    )
    check_invariants(graph)
    profile = resolve(graph, A("anon-phone"))
    assert profile.members == (U("ann"), Identifier(EMAIL, "ann@x.io"), A("anon-laptop"), A("anon-phone"))
    assert profile.profile_id == profile_id_for(U("ann"))
    assert {resolve(graph, m).profile_id for m in profile.members} == {profile.profile_id}
    assert len(graph.profiles) == 1


def test_a_profile_renamed_by_a_smaller_identifier_is_logged_as_a_merge() -> None:
    graph = MemoryGraph()
    graph.link(link(A("a1"), A("a2")), cause(1))
    old = profile_id_for(A("a1"))
    assert set(graph.profiles) == {old}

    result = graph.link(link(A("a2"), U("u")), cause(2))
    new = profile_id_for(U("u"))
    assert result.merged is not None and (result.merged.into, result.merged.from_) == (new, old)
    assert result.removed == (old,)
    assert set(result.assignments) == {U("u"), A("a1"), A("a2")}
    assert set(graph.profiles) == {new}
    assert graph.profiles[new].merges == (result.merged,)
    check_invariants(graph)


def test_joining_two_stored_profiles_keeps_the_smaller_and_carries_both_logs() -> None:
    graph = MemoryGraph()
    graph.link(link(U("u1"), A("a1")), cause(1))
    graph.link(link(A("a2"), A("a3")), cause(2))
    graph.link(link(A("a3"), A("a4")), cause(3))  # growth, not a merge
    graph.link(link(U("u0"), A("a2")), cause(4))  # rename a2's profile to u0's
    result = graph.link(link(A("a1"), A("a4")), cause(5))
    assert result.merged is not None
    assert result.merged.into == profile_id_for(U("u0"))
    assert result.merged.from_ == profile_id_for(U("u1"))
    merged = graph.profiles[profile_id_for(U("u0"))]
    assert [m.cause.message_id for m in merged.merges] == ["m4", "m5"]
    assert ProfileIdentities.from_dict(merged.to_dict()) == merged
    check_invariants(graph)


def test_a_link_already_applied_changes_nothing() -> None:
    graph = MemoryGraph()
    graph.link(link(U("u"), A("a")), cause(1))
    again = apply_link(graph, link(U("u"), A("a")), cause(1))
    assert not again.changed and again.merged is None and again.refused is None


def test_a_blocked_value_never_merges_two_users() -> None:
    graph = MemoryGraph()
    feed(
        graph,
        [
            make_event(message_id="m1", user_id="alice", anonymous_id="null"),
            make_event(message_id="m2", user_id="bob", anonymous_id="null"),
            make_event(message_id="m3", user_id="carol", anonymous_id="Anonymous"),
            make_event(message_id="m4", user_id="dave", anonymous_id="anonymous"),
        ],
    )
    assert graph.assigned == {}
    assert resolve(graph, U("alice")).members == (U("alice"),)
    result = apply_link(graph, link(U("alice"), A("null")), cause())
    assert result.refused is RefusalReason.BLOCKED_VALUE and not result.changed


def test_the_cap_refuses_a_link_and_applies_nothing() -> None:
    guards = IdentityGuards(max_identities_per_profile=3)
    graph = MemoryGraph()
    graph.link(link(U("u"), A("a1")), cause(1), guards)
    graph.link(link(U("u"), A("a2")), cause(2), guards)
    before = (dict(graph.assigned), dict(graph.profiles))
    result = graph.link(link(U("u"), A("a3")), cause(3), guards)
    assert result.refused is RefusalReason.CAP_EXCEEDED and not result.changed
    assert (graph.assigned, graph.profiles) == before
    # Two profiles whose union is over the cap are not merged either.
    graph.link(link(U("v"), A("b1")), cause(4), guards)
    assert graph.link(link(A("a1"), A("b1")), cause(5), guards).refused is RefusalReason.CAP_EXCEEDED


def test_resolve_reads_an_unknown_identifier_as_its_own_profile() -> None:
    alone = resolve(MemoryGraph(), Identifier("crm", "7"))
    assert alone.members == (Identifier("crm", "7"),) and alone.merges == ()
    assert alone.profile_id == profile_id_for(Identifier("crm", "7"))
    assert profile_id_for(Identifier("crm", "7")) != profile_id_for(Identifier("crm7", ""))


identifiers = st.builds(
    Identifier,
    st.sampled_from([USER_ID, ANONYMOUS_ID, EMAIL, "crm"]),
    st.sampled_from(["a", "b", "c", "d", "e"]),
)
links = st.tuples(identifiers, identifiers).filter(lambda p: p[0] != p[1]).map(lambda p: link(*p))


def fold(order: list[Link]) -> MemoryGraph:
    graph = MemoryGraph()
    for n, lk in enumerate(order):
        result = graph.link(lk, cause(n))
        assert result.refused is None
    return graph


@settings(max_examples=300)
@given(st.lists(links, max_size=25).flatmap(lambda lks: st.tuples(st.just(lks), st.permutations(lks))))
def test_any_order_of_the_same_links_gives_the_same_graph(
    orders: tuple[list[Link], list[Link]],
) -> None:
    lks, shuffled = orders
    one, other = fold(lks), fold(shuffled)
    check_invariants(one)
    assert one.assigned == other.assigned
    assert {k: v.members for k, v in one.profiles.items()} == {
        k: v.members for k, v in other.profiles.items()
    }


@given(st.lists(links, max_size=25))
def test_profiles_are_the_connected_components_of_the_links(lks: list[Link]) -> None:
    graph = fold(lks)
    # A reference: repeatedly join any two groups a link spans.
    groups: list[set[Identifier]] = []
    for lk in lks:
        touching = [g for g in groups if lk.a in g or lk.b in g]
        joined = set().union(*touching, {lk.a, lk.b})
        groups = [g for g in groups if g not in touching] + [joined]
    assert sorted(sorted(map(str, p.members)) for p in graph.profiles.values()) == sorted(
        sorted(map(str, g)) for g in groups
    )
