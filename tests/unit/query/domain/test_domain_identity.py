"""query.domain.identity: the identifiers and links an event states, and the guards."""

from __future__ import annotations

from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from query.domain.errors import InvalidGuardsError, RecordDecodeError
from query.domain.identity import (
    ANONYMOUS_ID,
    EMAIL,
    USER_ID,
    Identifier,
    _links_general,
    IdentityGuards,
    Link,
    identifier_order,
    extra_identifiers_named,
    identifiers_of,
    link,
    links_of,
    named_by_ids_alone,
    primary_identifier,
    primary_named,
)
from schemas.event import Event, EventType
from tests.unit.query.domain.builders import make_event

def U(value: str) -> Identifier:  # noqa: N802 - reads like a constructor
    return Identifier(USER_ID, value)


def A(value: str) -> Identifier:  # noqa: N802
    return Identifier(ANONYMOUS_ID, value)


def test_identifiers_are_ordered_user_email_external_anonymous() -> None:
    ids = [A("a"), Identifier("ga", "g"), Identifier(EMAIL, "e"), U("z")]
    assert sorted(ids, key=identifier_order) == [U("z"), Identifier(EMAIL, "e"), Identifier("ga", "g"), A("a")]


def test_an_event_with_both_ids_links_them() -> None:
    e = make_event(user_id="u1", anonymous_id="a1")
    assert identifiers_of(e) == [U("u1"), A("a1")]
    assert links_of(e) == [Link(U("u1"), A("a1"))]
    assert primary_identifier(e) == U("u1")


def test_an_anonymous_event_links_nothing() -> None:
    e = make_event(anonymous_id="a1")
    assert links_of(e) == []
    assert primary_identifier(e) == A("a1")


def test_identify_email_is_normalised_and_linked_to_the_user() -> None:
    e = make_event(EventType.IDENTIFY, user_id="u1", traits={"email": "  Ann@Example.COM "})
    assert Identifier(EMAIL, "ann@example.com") in identifiers_of(e)
    assert links_of(e) == [Link(U("u1"), Identifier(EMAIL, "ann@example.com"))]


def test_a_group_calls_email_trait_is_the_groups_not_the_users() -> None:
    e = make_event(EventType.GROUP, user_id="u1", group_id="g1", traits={"email": "team@x.io"})
    assert links_of(e) == []


def test_external_ids_link_to_the_anonymous_id_when_there_is_no_user() -> None:
    e = make_event(
        anonymous_id="a1",
        context={
            "externalIds": [
                {"id": "ga-1", "type": "ga_client_id", "collection": "users"},
                {"id": "X@Y.io", "type": "email"},
                {"id": 42, "type": "crm"},
                {"type": "missing_id"},
                "not an object",
            ]
        },
    )
    assert links_of(e) == [
        link(A("a1"), Identifier(EMAIL, "x@y.io")),
        link(A("a1"), Identifier("crm", "42")),
        link(A("a1"), Identifier("ga_client_id", "ga-1")),
    ]


def test_alias_with_an_unknown_previous_id_links_both_readings() -> None:
    e = make_event(EventType.ALIAS, user_id="u2", previous_id="old")
    assert links_of(e) == [link(U("u2"), U("old")), link(U("u2"), A("old"))]


def test_alias_whose_previous_id_is_its_anonymous_id_links_that_anonymous_id() -> None:
    e = make_event(EventType.ALIAS, user_id="u2", anonymous_id="a9", previous_id="a9")
    assert links_of(e) == [link(U("u2"), A("a9"))]


def test_alias_to_its_own_user_id_adds_only_the_anonymous_reading() -> None:
    e = make_event(EventType.ALIAS, user_id="u2", anonymous_id="a2", previous_id="u2")
    assert links_of(e) == [link(U("u2"), A("a2")), link(U("u2"), A("u2"))]


def test_link_is_canonical_and_round_trips() -> None:
    lk = link(A("a"), U("u"))
    assert lk == link(U("u"), A("a")) == Link(U("u"), A("a"))
    assert Link.from_dict(lk.to_dict()) == lk
    with pytest.raises(RecordDecodeError) as info:
        Identifier.from_dict({"k": "user_id"})
    assert info.value.field == "v"


@pytest.mark.parametrize("value", ["", "null", "NULL", " Undefined ", "0", "anonymous", "None", "nil"])
def test_default_guards_block_placeholder_values(value: str) -> None:
    assert IdentityGuards().is_blocked(U(value))


def test_guards_are_configurable_and_validated() -> None:
    guards = IdentityGuards(blocked_values=frozenset({"Guest"}))
    assert guards.is_blocked(A("guest")) and not guards.is_blocked(A("null"))
    with pytest.raises(InvalidGuardsError) as info:
        IdentityGuards(max_identities_per_profile=1)
    assert (info.value.field, info.value.value) == ("max_identities_per_profile", 1)


ids = st.none() | st.sampled_from(["u1", "a1", "x@y.io", "shared"])


@st.composite
def linking_events(draw: st.DrawFn) -> object:
    type_ = draw(st.sampled_from(list(EventType)))
    external = st.lists(
        st.fixed_dictionaries({"id": st.sampled_from(["ga-1", "u1", 7]), "type": st.sampled_from(["email", "crm"])}),
        max_size=2,
    )
    return make_event(
        type_,
        user_id=draw(ids),
        anonymous_id=draw(ids),
        previous_id=draw(ids) if type_ is EventType.ALIAS else None,
        traits=draw(st.fixed_dictionaries({}, optional={"email": st.sampled_from(["X@Y.io", " ", 3])})),
        context=draw(st.fixed_dictionaries({}, optional={"externalIds": external | st.just("not a list")})),
    )


@given(linking_events())
def test_the_shortcut_for_calls_with_only_user_and_anonymous_ids_agrees_with_the_general_path(e: object) -> None:
    assert links_of(e) == _links_general(e)  # type: ignore[arg-type]


@given(linking_events())
def test_the_ids_and_the_extra_identifiers_named_are_the_identifiers_of_the_event(e: object) -> None:
    event = cast(Event, e)
    extras = extra_identifiers_named(event)
    ids = [(kind, value) for kind, value in ((USER_ID, event.user_id), (ANONYMOUS_ID, event.anonymous_id)) if value is not None]
    named = {Identifier(*i) for i in [*ids, *extras]}
    assert sorted(named, key=identifier_order) == identifiers_of(event)
    assert extras == [] or not named_by_ids_alone(event)


