"""Violations over GraphQL, on violations held in memory: pages and cursors, counts
summed across partitions, the subscription, and a release."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.types import ExecutionResult

from query.graphql import schema
from registry.plans import Violation, ViolationType
from registry.plans.judge import ViolationCount, ViolationRecord
from registry.plans.violations import Action
from registry.types import ColumnType
from tests.unit.query.fakes import MemoryViolations, context

NODE = "messageId source type event plan planVersion violationType path expected actualType action at"
PAGE = f"""query ($source: String!, $event: String, $first: Int, $after: String) {{
  violations(source: $source, event: $event, first: $first, after: $after) {{
    edges {{ cursor node {{ {NODE} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
SUMMARY = """query { violationSummary(source: "web") {
  type event violationType path count firstSeen lastSeen sampleMessageIds } }"""


def _record(n: int, event: str = "Order Completed", source: str = "web") -> ViolationRecord:
    violation = Violation(ViolationType.TYPE_MISMATCH, "/properties/total", "type: number", ColumnType.STRING, Action.QUARANTINED)
    return ViolationRecord(f"m{n}", source, "track", event, "shop", 2, violation, 1_700_000_000_000 + n)


async def _run(query: str, violations: MemoryViolations, **variables: Any) -> ExecutionResult:
    return await schema.execute(query, variable_values=variables, context_value=context(violations=violations))


async def _data(query: str, violations: MemoryViolations, **variables: Any) -> dict[str, Any]:
    result = await _run(query, violations, **variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def test_violations_page_newest_first_by_source_and_event() -> None:
    store = MemoryViolations()
    store.records = [_record(5), _record(4, "Signed Up"), _record(3), _record(2, source="ios"), _record(1)]
    first = (await _data(PAGE, store, source="web", first=2))["violations"]
    assert [e["node"]["messageId"] for e in first["edges"]] == ["m5", "m4"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await _data(PAGE, store, source="web", first=2, after=first["pageInfo"]["endCursor"]))["violations"]
    assert [e["node"]["messageId"] for e in rest["edges"]] == ["m3", "m1"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert first["edges"][0]["node"] == {
        "messageId": "m5", "source": "web", "type": "TRACK", "event": "Order Completed", "plan": "shop",
        "planVersion": 2, "violationType": "TYPE_MISMATCH", "path": "/properties/total", "expected": "type: number",
        "actualType": "STRING", "action": "QUARANTINED", "at": "2023-11-14T22:13:20.005000+00:00",
    }
    by_event = (await _data(PAGE, store, source="web", event="Signed Up"))["violations"]
    assert [e["node"]["messageId"] for e in by_event["edges"]] == ["m4"]


async def test_a_bad_cursor_or_page_size_is_an_error_naming_it() -> None:
    store = MemoryViolations()
    bad = await _run(PAGE, store, source="web", after="not-a-cursor")
    assert bad.errors is not None and "not-a-cursor" in bad.errors[0].message
    big = await _run(PAGE, store, source="web", first=201)
    assert big.errors is not None and "200" in big.errors[0].message


async def test_the_summary_sums_the_partitions_counts() -> None:
    store = MemoryViolations()
    kind = ViolationType.ENUM
    store.counts["web"] = [
        ViolationCount("track", "Order Completed", kind, "/properties/currency", 3, 1_000, 5_000, ("a", "b", "c")),
        ViolationCount("track", "Order Completed", kind, "/properties/currency", 4, 500, 4_000, ("c", "d", "e", "f")),
        ViolationCount("identify", None, ViolationType.TYPE_MISMATCH, "/traits/plan", 1, 700, 700, ("g",)),
    ]
    summary = (await _data(SUMMARY, store))["violationSummary"]
    assert summary == [
        {"type": "TRACK", "event": "Order Completed", "violationType": "ENUM", "path": "/properties/currency",
         "count": 7, "firstSeen": "1970-01-01T00:00:00.500000+00:00", "lastSeen": "1970-01-01T00:00:05+00:00",
         "sampleMessageIds": ["a", "b", "c", "d", "e"]},
        {"type": "IDENTIFY", "event": None, "violationType": "TYPE_MISMATCH", "path": "/traits/plan", "count": 1,
         "firstSeen": "1970-01-01T00:00:00.700000+00:00", "lastSeen": "1970-01-01T00:00:00.700000+00:00", "sampleMessageIds": ["g"]},
    ]


async def test_a_subscriber_gets_its_sources_violations_and_a_release_says_how_many_went() -> None:
    store = MemoryViolations()
    results = await schema.subscribe(
        'subscription { violations(source: "web") { messageId violationType action } }',
        context_value=context(violations=store),
    )
    assert not isinstance(results, ExecutionResult)
    store.feed.publish(_record(1, source="ios"), _record(2))  # type: ignore[arg-type]
    got = await asyncio.wait_for(anext(results), timeout=2)
    assert got.data == {"violations": {"messageId": "m2", "violationType": "TYPE_MISMATCH", "action": "QUARANTINED"}}
    await results.aclose()

    store.held = {("web", "Order Completed"): 3, ("web", "Signed Up"): 1, ("ios", "Order Completed"): 2}
    release = 'mutation ($event: String) { releaseQuarantine(source: "web", event: $event) { source event released } }'
    assert (await _data(release, store, event="Signed Up"))["releaseQuarantine"] == {
        "source": "web", "event": "Signed Up", "released": 1
    }
    assert (await _data(release, store, event=None))["releaseQuarantine"]["released"] == 3
