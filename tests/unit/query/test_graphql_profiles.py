"""`profile`: one person reached by any identifier, with identities, traits and merges."""

from __future__ import annotations

from typing import Any

from query.graphql import schema
from schemas.event import EventType
from tests.unit.query.domain.builders import make_event
from tests.unit.query.fakes import execute_sync, MemoryProfiles, context
from tests.unit.query.journeys import (
    DEVICE_1,
    DEVICE_2,
    DEVICE_2_PROFILE_ID,
    GA_ID,
    GA_TYPE,
    PROFILE_ID,
    T0,
    USER,
    iso,
    journey_store,
    two_devices,
)

PROFILE = """query ($id: String!, $idType: String) { profile(id: $id, idType: $idType) {
    id identities { type value } traits firstSeen lastSeen eventCount groups
    plan: trait(name: "plan") { name value updatedAt messageId }
    merges { into from link { type value } messageId eventType at } } }"""


def _profile(store: MemoryProfiles, id: str, id_type: str | None = None) -> Any:
    variables = {"id": id, "idType": id_type}
    result = execute_sync(
        schema, PROFILE, variable_values=variables, context_value=context(profiles=store)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["profile"]


def test_every_id_of_a_two_device_journey_reaches_one_merged_profile() -> None:
    store = journey_store()

    profile = _profile(store, USER)
    assert profile["id"] == PROFILE_ID
    assert profile["identities"] == [
        {"type": "user_id", "value": USER},
        {"type": "email", "value": "ada@example.com"},
        {"type": GA_TYPE, "value": GA_ID},
        {"type": "anonymous_id", "value": DEVICE_1},
        {"type": "anonymous_id", "value": DEVICE_2},
    ]
    assert profile["traits"] == {"email": " Ada@Example.COM ", "name": "Ada", "plan": "pro"}
    assert profile["eventCount"] == 9
    assert (profile["firstSeen"], profile["lastSeen"]) == (iso(T0 + 1_000), iso(T0 + 8_000))
    # Every identifier, each as the lookup finds it, leads to the very same answer.
    assert _profile(store, DEVICE_1) == profile
    assert _profile(store, DEVICE_2) == profile
    assert _profile(store, "  ADA@example.com") == profile
    assert _profile(store, "ada@example.com", "email") == profile
    assert _profile(store, GA_ID, GA_TYPE) == profile


def test_the_merge_log_names_both_profiles_the_link_and_its_cause() -> None:
    profile = _profile(journey_store(), DEVICE_2)
    assert profile["merges"] == [
        {
            "into": PROFILE_ID,
            "from": DEVICE_2_PROFILE_ID,
            "link": [
                {"type": "user_id", "value": USER},
                {"type": "anonymous_id", "value": DEVICE_2},
            ],
            "messageId": "m07",
            "eventType": "ALIAS",
            "at": iso(T0 + 7_000),
        }
    ]


def test_a_backfilled_older_identify_does_not_overwrite_a_newer_trait() -> None:
    backfill = make_event(
        EventType.IDENTIFY,
        message_id="m00",
        anonymous_id=DEVICE_2,
        timestamp_ms=T0 - 86_400_000,
        traits={"plan": "free", "company": "Old Co"},
    )
    # Applied last, on another member of the profile than the newer write.
    profile = _profile(journey_store([*two_devices(), backfill]), USER)

    assert profile["plan"] == {
        "name": "plan",
        "value": "pro",
        "updatedAt": iso(T0 + 3_000),
        "messageId": "m03",
    }
    assert profile["traits"]["plan"] == "pro"
    assert profile["traits"]["company"] == "Old Co"  # a key nobody set later
    assert profile["eventCount"] == 10
    assert profile["firstSeen"] == iso(T0 - 86_400_000)


def test_a_trait_never_set_is_null() -> None:
    result = execute_sync(
        schema, '{ profile(id: "u1") { trait(name: "nope") { value } } }',
        context_value=context(profiles=journey_store()),
    )
    assert result.errors is None
    assert result.data == {"profile": {"trait": None}}


def test_groups_and_counts_come_from_every_member() -> None:
    store = MemoryProfiles()
    store.observe(
        make_event(EventType.GROUP, message_id="g1", anonymous_id="a", group_id="acme"),
        make_event(EventType.IDENTIFY, message_id="i1", user_id="u", anonymous_id="a"),
        make_event(EventType.GROUP, message_id="g2", user_id="u", group_id="beta"),
    )
    profile = _profile(store, "a")
    assert (profile["groups"], profile["eventCount"]) == (["acme", "beta"], 3)


def test_an_unknown_id_is_null() -> None:
    store = journey_store()
    assert _profile(store, "nobody") is None
    assert _profile(store, USER, "anonymous_id") is None
    assert _profile(MemoryProfiles(), USER) is None


def test_id_type_narrows_an_id_two_kinds_share() -> None:
    store = MemoryProfiles()
    store.observe(
        make_event(message_id="m1", user_id="42", event="Paid"),
        make_event(message_id="m2", anonymous_id="42", event="Browsed"),
    )
    as_user = _profile(store, "42")
    as_anonymous = _profile(store, "42", "anonymous_id")
    # Neither event linked anything: each is known only by its own events.
    assert as_user["identities"] == [{"type": "user_id", "value": "42"}]
    assert as_anonymous["identities"] == [{"type": "anonymous_id", "value": "42"}]
    assert as_user["id"] != as_anonymous["id"]
    assert _profile(store, "42", "user_id") == as_user


def test_a_blank_id_type_is_an_error() -> None:
    result = execute_sync(
        schema, '{ profile(id: "u1", idType: " ") { id } }', context_value=context(profiles=journey_store())
    )
    assert result.errors is not None
    assert result.errors[0].message == "invalid argument 'idType': must not be blank"
