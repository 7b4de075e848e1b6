"""schemaChanges: the paged history of every change, and the subscription to new ones."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from strawberry.types import ExecutionResult

from query.graphql import schema
from registry import SchemaChange, SchemaKey
from tests.unit.query.fakes import execute_sync, MemorySchemas, QueueFeed, context

WEB_A = SchemaKey("web", "track", "A")
WEB_B = SchemaKey("web", "track", "B")
WEB_PAGE = SchemaKey("web", "page", None)
IOS_A = SchemaKey("ios", "track", "A")

PAGE_QUERY = """query ($source: String, $first: Int, $after: String) {
  schemaChanges(source: $source, first: $first, after: $after) {
    totalCount
    edges { cursor node { id source type event path kind observedType fromType toType version at } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


def _changes(reader: MemorySchemas, **variables: Any) -> ExecutionResult:
    return execute_sync(schema, PAGE_QUERY, variable_values=variables, context_value=context(reader))


def _page(reader: MemorySchemas, **variables: Any) -> Any:
    result = _changes(reader, **variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["schemaChanges"]


def _ids(page: Any) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


@pytest.fixture
def reader() -> MemorySchemas:
    return MemorySchemas()


def _five_changes(reader: MemorySchemas) -> list[SchemaChange]:
    """Five changes in (at, source, type, event, version, path) order."""
    at_3000 = reader.observe(WEB_A, {"a": 1, "b": "x"}, 3_000, "m1")  # v1 a, v2 b
    at_1000 = reader.observe(WEB_PAGE, {"url": "u"}, 1_000, "m2")
    at_2000 = reader.observe(IOS_A, {"a": 1}, 2_000, "m3")
    # Arrives last, but its event time sorts it before m1's changes.
    at_2500 = reader.observe(WEB_A, {"a": 1.5}, 2_500, "m4")  # v3 a widened
    return [*at_1000, *at_2000, *at_2500, *at_3000]


def test_every_change_oldest_first_with_the_published_ids(reader: MemorySchemas) -> None:
    expected = _five_changes(reader)
    page = _page(reader, first=200)
    assert _ids(page) == [c.id for c in expected]
    assert page["totalCount"] == 5
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["edges"][1]["node"] == {
        "id": expected[1].id,
        "source": "ios",
        "type": "TRACK",
        "event": "A",
        "path": "properties.a",
        "kind": "COLUMN_ADDED",
        "observedType": "INTEGER",
        "fromType": None,
        "toType": "INTEGER",
        "version": 1,
        "at": "1970-01-01T00:00:02+00:00",
    }
    assert [(e["node"]["kind"], e["node"]["fromType"]) for e in page["edges"]][2] == (
        "TYPE_WIDENED",
        "INTEGER",
    )


def test_pages_follow_each_other_by_cursor(reader: MemorySchemas) -> None:
    expected = [c.id for c in _five_changes(reader)]
    first = _page(reader, first=2)
    assert _ids(first) == expected[:2]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]

    second = _page(reader, first=2, after=first["pageInfo"]["endCursor"])
    assert _ids(second) == expected[2:4]
    assert second["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasPreviousPage"] is True

    last = _page(reader, first=2, after=second["pageInfo"]["endCursor"])
    assert _ids(last) == expected[4:]
    assert last["pageInfo"]["hasNextPage"] is False

    empty = _page(reader, first=2, after=last["pageInfo"]["endCursor"])
    assert empty["edges"] == []
    assert empty["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }


def test_the_default_page_is_50(reader: MemorySchemas) -> None:
    reader.observe(WEB_A, {f"p{n:02}": n for n in range(60)}, 1_000, "m1")
    page = _page(reader)
    assert len(page["edges"]) == 50
    assert page["totalCount"] == 60
    assert page["pageInfo"]["hasNextPage"] is True


def test_a_cursor_stays_in_place_when_earlier_changes_arrive(reader: MemorySchemas) -> None:
    reader.observe(WEB_A, {"a": 1}, 1_000, "m1")
    reader.observe(WEB_A, {"b": 1}, 3_000, "m2")
    first = _page(reader, first=1)
    reader.observe(WEB_B, {"c": 1}, 500, "m0")  # a backfill: sorts before the cursor
    rest = _page(reader, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["path"] for e in rest["edges"]] == ["properties.b"]


def test_source_filter(reader: MemorySchemas) -> None:
    _five_changes(reader)
    page = _page(reader, source="ios")
    assert [e["node"]["source"] for e in page["edges"]] == ["ios"]
    assert page["totalCount"] == 1
    assert _page(reader, source="nobody")["edges"] == []


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 201}, "first must be between 0 and 200, got 201"),
        ({"first": -1}, "first must be between 0 and 200, got -1"),
        ({"after": "not a cursor"}, "invalid cursor 'not a cursor': not URL-safe base64"),
        ({"after": _b64(b'[1, "web"]')}, "not a schemaChanges cursor"),
        ({"after": _b64(b"\x02truncated")}, "not a schemaChanges cursor"),
    ],
)
def test_a_refused_argument_is_a_clear_error(
    reader: MemorySchemas, variables: dict[str, Any], message: str
) -> None:
    _five_changes(reader)
    result = _changes(reader, **variables)
    assert result.data is None
    assert result.errors is not None
    assert [message in e.message for e in result.errors] == [True]


SUBSCRIPTION = """subscription ($source: String, $type: EventType, $event: String) {
  schemaChanges(source: $source, type: $type, event: $event) { id source type event path kind } }"""


async def _subscribe(feed: QueueFeed, **variables: Any) -> AsyncGenerator[ExecutionResult, None]:
    results = await schema.subscribe(
        SUBSCRIPTION, variable_values=variables, context_value=context(changes=feed)
    )
    assert not isinstance(results, ExecutionResult), results
    return results


async def _next_id(results: AsyncGenerator[ExecutionResult, None]) -> str:
    result = await asyncio.wait_for(anext(results), timeout=2)
    assert result.errors is None, result.errors
    assert result.data is not None
    return str(result.data["schemaChanges"]["id"])


@pytest.mark.parametrize(
    ("variables", "matching"),
    [
        ({}, [IOS_A, WEB_B, WEB_PAGE, WEB_A]),
        ({"source": "web"}, [WEB_B, WEB_PAGE, WEB_A]),
        ({"type": "TRACK"}, [IOS_A, WEB_B, WEB_A]),
        ({"source": "web", "type": "TRACK", "event": "A"}, [WEB_A]),
        ({"event": "A"}, [IOS_A, WEB_A]),
        ({"type": "PAGE", "event": "ignored for a page"}, [WEB_PAGE]),
    ],
)
async def test_the_subscription_yields_the_matching_changes_only(
    variables: dict[str, Any], matching: list[SchemaKey]
) -> None:
    reader, feed = MemorySchemas(), QueueFeed()
    published = {
        key: reader.observe(key, {"x": 1}, 1_000, f"m-{key}")[0]
        for key in (IOS_A, WEB_B, WEB_PAGE, WEB_A)
    }
    # A last matching change shows that nothing else was let through before it.
    last = reader.observe(matching[-1], {"y": 1}, 2_000, "m-last")[0]
    feed.publish(*published.values(), last)

    results = await _subscribe(feed, **variables)
    received = [await _next_id(results) for _ in range(len(matching) + 1)]
    assert received == [published[key].id for key in matching] + [last.id]
    assert feed.queue.empty()

    await results.aclose()
    assert feed.closed == 1


async def test_the_subscription_reads_a_change_published_while_it_waits() -> None:
    reader, feed = MemorySchemas(), QueueFeed()
    results = await _subscribe(feed, source="web")
    waiting = asyncio.ensure_future(_next_id(results))
    await feed.wait_subscribed()
    assert not waiting.done()  # nothing was published yet
    (change,) = reader.observe(WEB_A, {"x": 1}, 1_000, "m1")
    feed.publish(change)
    assert await waiting == change.id
    await results.aclose()
    assert (feed.subscribed, feed.closed) == (1, 1)


async def test_a_client_that_goes_away_while_waiting_closes_the_feed() -> None:
    feed = QueueFeed()
    results = await _subscribe(feed)
    waiting = asyncio.ensure_future(anext(results))
    await feed.wait_subscribed()
    assert feed.subscribed == 1
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await results.aclose()
    assert feed.closed == 1
