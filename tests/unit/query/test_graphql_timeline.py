"""`timeline` and `Profile.timeline`: every event of a profile, newest first, paged and filtered."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from strawberry.types import ExecutionResult

from query.graphql import schema
from tests.unit.query.domain.builders import make_event
from query.graphql.profile_reads import FIRST_READ
from tests.unit.query.fakes import execute_sync, MemoryProfiles, context
from tests.unit.query.journeys import (
    DEVICE_1,
    DEVICE_2,
    T0,
    USER,
    iso,
    journey_store,
    newest_first,
    two_devices,
)

TIMELINE = """query ($id: String!, $first: Int, $after: String, $events: [String!],
                     $types: [EventType!], $from: DateTime, $to: DateTime) {
    timeline(id: $id, first: $first, after: $after, events: $events, types: $types,
             from: $from, to: $to) {
        edges { cursor node { messageId type event source timestamp receivedAt
                              properties traits context } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


def _run(store: MemoryProfiles, query: str, **variables: Any) -> ExecutionResult:
    return execute_sync(
        schema, query, variable_values=variables, context_value=context(profiles=store)
    )


def _timeline(store: MemoryProfiles, id: str, **variables: Any) -> Any:
    result = _run(store, TIMELINE, id=id, **variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["timeline"]


def _ids(connection: Any) -> list[str]:
    return [e["node"]["messageId"] for e in connection["edges"]]


def test_the_timeline_holds_every_event_of_every_device_newest_first() -> None:
    store = journey_store()
    expected = newest_first(two_devices())
    assert expected[:2] == ["m08", "m09"]  # one time, then by messageId

    for id in (USER, DEVICE_1, DEVICE_2, "ada@example.com"):
        connection = _timeline(store, id)
        assert _ids(connection) == expected, id
        assert connection["pageInfo"]["hasNextPage"] is False
        assert connection["pageInfo"]["hasPreviousPage"] is False

    node = _timeline(store, DEVICE_1, first=1)["edges"][0]["node"]
    assert node == {
        "messageId": "m08",
        "type": "TRACK",
        "event": "Order Completed",
        "source": "ios",
        "timestamp": iso(T0 + 8_000),
        "receivedAt": iso(T0 + 8_005),
        "properties": {"total": 42.5},
        "traits": {},
        "context": {},
    }


def test_profile_timeline_is_the_same_timeline() -> None:
    result = _run(
        journey_store(),
        """{ profile(id: "anon-2") { timeline(first: 3) { edges { node { messageId } }
                                                          pageInfo { hasNextPage } } } }""",
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    timeline = result.data["profile"]["timeline"]
    assert [e["node"]["messageId"] for e in timeline["edges"]] == ["m08", "m09", "m07"]
    assert timeline["pageInfo"]["hasNextPage"] is True


def _all_pages(store: MemoryProfiles, first: int, **variables: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        connection = _timeline(store, USER, first=first, after=after, **variables)
        pages.append(_ids(connection))
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        if not info["hasNextPage"]:
            return pages
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
        after = info["endCursor"]


@pytest.mark.parametrize("first", [1, 2, 4, 9])
def test_paging_visits_every_event_once(first: int) -> None:
    pages = _all_pages(journey_store(), first)
    assert [m for page in pages for m in page] == newest_first(two_devices())
    assert all(len(page) == first for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= first


def test_paging_a_filtered_timeline_visits_every_match_once() -> None:
    pages = _all_pages(journey_store(), 2, types=["TRACK"], **{"from": iso(T0 + 2_000)})
    assert [m for page in pages for m in page] == ["m08", "m09", "m06", "m04", "m02"]


def test_a_page_reads_only_a_little_past_its_end() -> None:
    store = MemoryProfiles()
    for i in range(100):
        store.observe(
            make_event(message_id=f"u{i:03}", user_id="u", timestamp_ms=T0 + 2 * i),
            make_event(message_id=f"a{i:03}", anonymous_id="a", timestamp_ms=T0 + 2 * i + 1),
        )
    store.observe(make_event(message_id="link", user_id="u", anonymous_id="a", timestamp_ms=T0 - 1))
    first = _timeline(store, "u", first=5)
    assert _ids(first) == ["a099", "u099", "a098", "u098", "a097"]
    store.rows_read = 0
    second = _timeline(store, "a", first=5, after=first["pageInfo"]["endCursor"])
    assert _ids(second) == ["u097", "a096", "u096", "a095", "u095"]
    # Each member's first read is FIRST_READ rows, not all 100 of them.
    assert store.rows_read <= 2 * FIRST_READ


def test_a_filter_that_skips_a_whole_first_read_reads_on_until_the_page_is_full() -> None:
    store = MemoryProfiles()
    for i in range(3):
        store.observe(make_event(message_id=f"old{i}", user_id="u", event="Rare", timestamp_ms=T0 + i))
    for i in range(3 * FIRST_READ):
        store.observe(make_event(message_id=f"new{i:03}", user_id="u", event="Common", timestamp_ms=T0 + 100 + i))
    page = _timeline(store, "u", first=2, events=["Rare"])
    assert _ids(page) == ["old2", "old1"]
    assert page["pageInfo"]["hasNextPage"] is True


def test_filters_by_event_name_type_and_time_range() -> None:
    store = journey_store()
    assert _ids(_timeline(store, USER, events=["Viewed Product"])) == ["m09", "m06", "m02"]
    assert _ids(_timeline(store, USER, types=["PAGE", "ALIAS"])) == ["m07", "m05", "m01"]
    # `from` is inclusive, `to` exclusive.
    window = {"from": iso(T0 + 4_000), "to": iso(T0 + 8_000)}
    assert _ids(_timeline(store, USER, **window)) == ["m07", "m06", "m05", "m04"]
    both = _timeline(store, USER, events=["Viewed Product", "Signed Up"], **window)
    assert _ids(both) == ["m06", "m04"]
    assert _ids(_timeline(store, USER, events=["Never Sent"])) == []


def test_an_unknown_id_has_an_empty_timeline() -> None:
    connection = _timeline(journey_store(), "nobody")
    assert connection == {
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


def test_more_than_200_is_an_error_naming_the_limit(caplog: pytest.LogCaptureFixture) -> None:
    store = journey_store()
    assert len(_timeline(store, USER, first=200)["edges"]) == 9
    with caplog.at_level(logging.ERROR):
        for id in (USER, "nobody"):
            result = _run(store, TIMELINE, id=id, first=201)
            assert result.errors is not None
            assert [e.message for e in result.errors] == [
                "first must be between 0 and 200, got 201"
            ]
        nested = _run(store, '{ profile(id: "u1") { timeline(first: 201) { edges { cursor } } } }')
    assert nested.errors is not None
    assert "between 0 and 200" in nested.errors[0].message
    assert caplog.records == []  # an answer, not an incident


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "",
        "eyJub3QiOiAiYSBjdXJzb3IifQ",  # base64 of some JSON
        # A schemaChanges cursor is not a timeline cursor.
        "WyJzY2hlbWFDaGFuZ2UvMSIsMSwid2ViIiwidHJhY2siLG51bGwsMSwicCJd",
    ],
)
def test_a_cursor_that_is_not_a_timeline_cursor_is_an_error(cursor: str) -> None:
    result = _run(journey_store(), TIMELINE, id=USER, after=cursor)
    assert result.errors is not None
    (error,) = result.errors
    assert error.message.startswith("invalid cursor ")
    assert "Unexpected error" not in error.message
