"""Events judged by tracking plans on a running node: each violation type, recorded,
counted and pushed to subscribers; quarantine, omission and release after a plan fix;
and a rebuild that judges the log the same way, with the plan changed mid-log."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.integration.conftest import StartNode
from tests.integration.test_schema_registry import Subscriber, _tracklog
from tests.nodes import NodeProcess
from tests.waiting import wait_until

ORDER = {
    "type": "object",
    "properties": {
        "total": {"type": "number"},
        "currency": {"enum": ["USD", "EUR"]},
        "coupon": {"type": "string", "pattern": "^[A-Z]+$"},
        "email": {"type": "string", "format": "email"},
        "items": {"type": "array", "maxItems": 2},
    },
    "required": ["total"],
    "additionalProperties": False,
}


def _rules(total: list[str] | str = "number", signed_up: bool = False) -> list[dict[str, Any]]:
    draft = "http://json-schema.org/draft-07/schema#"
    order = {**ORDER, "properties": {**ORDER["properties"], "total": {"type": total}}}  # type: ignore[dict-item]
    rules: list[dict[str, Any]] = [
        {"type": "TRACK", "key": "Order Completed", "version": 1,
         "jsonSchema": {"$schema": draft, "type": "object", "properties": {"properties": order}}},
        {"type": "IDENTIFY", "key": None, "version": 1,
         "jsonSchema": {"properties": {"traits": {"properties": {"plan": {"type": "string"}}}}}},
        {"type": "PAGE", "key": "Home", "version": 1,
         "jsonSchema": {"properties": {"properties": {"properties": {"path": {"type": "string"}}}}}},
    ]
    if signed_up:
        rules.append({"type": "TRACK", "key": "Signed Up", "version": 1, "jsonSchema": {}})
    return rules


def _track(message_id: str, event: str, properties: dict[str, Any], user: str = "u1") -> dict[str, Any]:
    return {"type": "track", "messageId": message_id, "userId": user, "event": event, "properties": properties}


def _plan(node: NodeProcess, rules: list[dict[str, Any]]) -> None:
    node.graphql('mutation ($rules: JSON!) { upsertTrackingPlan(name: "shop", rules: $rules) { version } }', rules=rules)
    node.graphql('mutation { publishTrackingPlan(name: "shop") { version } }')


VIOLATIONS = """query ($source: String!, $event: String, $after: String) {
  violations(source: $source, event: $event, first: 50, after: $after) {
    edges { cursor node { messageId source type event plan planVersion violationType path expected actualType action at } }
    pageInfo { hasNextPage endCursor } } }"""
SUMMARY = """query ($source: String!) { violationSummary(source: $source) {
  type event violationType path count firstSeen lastSeen sampleMessageIds } }"""
COUNT = 'query ($source: String!, $event: String) { eventSchema(source: $source, type: TRACK, event: $event) { eventCount columns { path } } }'


def _violations(node: NodeProcess, source: str, **variables: Any) -> list[dict[str, Any]]:
    edges = node.graphql(VIOLATIONS, source=source, **variables)["violations"]["edges"]
    return [edge["node"] for edge in edges]


def _count(node: NodeProcess, source: str, event: str) -> int:
    schema = node.graphql(COUNT, source=source, event=event)["eventSchema"]
    return int(schema["eventCount"]) if schema else 0


async def test_each_violation_type_is_recorded_counted_and_pushed_while_observing(start_node: StartNode) -> None:
    node = start_node()
    _plan(node, _rules())
    node.graphql('mutation { connectTrackingPlan(source: "ios", plan: "shop") { version } }')  # observe only
    subscription = 'subscription { violations(source: "ios") { messageId event violationType path action } }'
    calls = [
        _track("m-required", "Order Completed", {}),
        _track("m-type", "Order Completed", {"total": "ten"}),
        _track("m-enum", "Order Completed", {"total": 1, "currency": "GBP"}),
        _track("m-pattern", "Order Completed", {"total": 1, "coupon": "abc"}),
        _track("m-format", "Order Completed", {"total": 1, "email": "not-an-email"}),
        _track("m-unplanned-property", "Order Completed", {"total": 1, "note": "gift"}),
        _track("m-other", "Order Completed", {"total": 1, "items": [1, 2, 3]}),
        _track("m-case", "order completed", {"total": 1}),
        {"type": "identify", "messageId": "m-traits", "userId": "u1", "traits": {"plan": 5}},
        {"type": "identify", "messageId": "m-partial", "userId": "u1", "traits": {"email": "a@b.co"}},
        {"type": "page", "messageId": "m-page", "userId": "u1", "name": "Home", "properties": {"path": 3}},
        _track("m-valid", "Order Completed", {"total": 1, "currency": "USD"}),
    ]
    async with Subscriber(node, query=subscription, field="violations") as subscriber:
        # The subscription is registered once a violation sent after it arrives.
        await asyncio.to_thread(node.post, "/v1/track", _track("m-warmup", "Warm Up", {}), key="ios-key")
        first = await subscriber.next_change(timeout=30)
        assert first == {"messageId": "m-warmup", "event": "Warm Up", "violationType": "UNPLANNED_EVENT", "path": "", "action": "ANNOTATED"}
        assert node.post("/v1/batch", {"batch": calls}, key="ios-key").status_code == 200
        pushed = [await subscriber.next_change(timeout=30) for _ in range(10)]
    assert {p["messageId"] for p in pushed} == {c["messageId"] for c in calls} - {"m-valid", "m-partial"}

    wait_until(lambda: _count(node, "ios", "Order Completed") == 8, timeout=30, what="every event folded (observing)")
    found = {(v["messageId"], v["violationType"], v["path"]) for v in _violations(node, "ios")}
    assert found == {
        ("m-warmup", "UNPLANNED_EVENT", ""),
        ("m-required", "REQUIRED_MISSING", "/properties/total"),
        ("m-type", "TYPE_MISMATCH", "/properties/total"),
        ("m-enum", "ENUM", "/properties/currency"),
        ("m-pattern", "PATTERN", "/properties/coupon"),
        ("m-format", "FORMAT", "/properties/email"),
        ("m-unplanned-property", "UNPLANNED_PROPERTY", "/properties/note"),
        ("m-other", "OTHER", "/properties/items"),
        ("m-case", "UNPLANNED_EVENT", ""),  # event names are case-sensitive
        ("m-traits", "TYPE_MISMATCH", "/traits/plan"),  # a partial identify is no violation
        ("m-page", "TYPE_MISMATCH", "/properties/path"),
    }
    typed = _violations(node, "ios", event="Order Completed")
    mismatch = next(v for v in typed if v["messageId"] == "m-type")
    assert mismatch | {"at": None} == {
        "messageId": "m-type", "source": "ios", "type": "TRACK", "event": "Order Completed", "plan": "shop",
        "planVersion": 1, "violationType": "TYPE_MISMATCH", "path": "/properties/total", "expected": "type: number",
        "actualType": "STRING", "action": "ANNOTATED", "at": None,
    }
    assert {v["event"] for v in typed} == {"Order Completed"}

    page = node.graphql(VIOLATIONS.replace("first: 50", "first: 4"), source="ios")["violations"]
    rest = _violations(node, "ios", after=page["pageInfo"]["endCursor"])
    assert page["pageInfo"]["hasNextPage"]
    assert [e["node"] for e in page["edges"]] + rest == _violations(node, "ios")

    summary = node.graphql(SUMMARY, source="ios")["violationSummary"]
    enum = next(s for s in summary if s["violationType"] == "ENUM")
    assert (enum["type"], enum["event"], enum["path"], enum["count"], enum["sampleMessageIds"]) == (
        "TRACK", "Order Completed", "/properties/currency", 1, ["m-enum"]
    )
    metrics = httpx.get(f"{node.url}/metrics").text
    assert 'tracklog_plan_violations_total{action="ANNOTATED",violation_type="UNPLANNED_EVENT"} 2.0' in metrics


async def test_quarantine_then_release_after_the_plan_is_fixed_and_a_rebuild_judges_the_same(
    start_node: StartNode,
) -> None:
    node = start_node()
    _plan(node, _rules())
    node.graphql(
        """mutation { connectTrackingPlan(source: "web", plan: "shop", unplannedEvents: QUARANTINE,
                      unplannedProperties: OMIT, invalid: QUARANTINE) { version } }"""
    )
    calls = [
        _track("q-type", "Order Completed", {"total": "ten"}),
        _track("q-omit", "Order Completed", {"total": 2, "note": "gift"}),
        _track("q-unplanned", "Signed Up", {"via": "ad"}),
        _track("q-valid", "Order Completed", {"total": 3}),
        # The track settings are not the identify settings: an invalid trait is recorded, and folded.
        {"type": "identify", "messageId": "q-identify", "userId": "u2", "traits": {"plan": 5}},
    ]
    assert node.post("/v1/batch", {"batch": calls}).status_code == 200
    wait_until(lambda: _count(node, "web", "Order Completed") == 2, timeout=30, what="the events not quarantined")
    wait_until(lambda: len(_violations(node, "web")) == 4, timeout=30, what="every partition's violations")
    actions = {v["messageId"]: v["action"] for v in _violations(node, "web")}
    assert actions == {"q-type": "QUARANTINED", "q-omit": "OMITTED", "q-unplanned": "QUARANTINED", "q-identify": "ANNOTATED"}
    profile = '{ profile(id: "u2") { traits } }'
    wait_until(lambda: node.graphql(profile) == {"profile": {"traits": {"plan": 5}}}, timeout=30, what="the identify folded")
    columns = {c["path"] for c in node.graphql(COUNT, source="web", event="Order Completed")["eventSchema"]["columns"]}
    assert columns == {"properties.total"}  # the omitted property is not folded
    timeline = node.graphql('{ timeline(id: "u1", first: 10) { edges { node { messageId properties } } } }')
    folded = {e["node"]["messageId"]: e["node"]["properties"] for e in timeline["timeline"]["edges"]}
    assert folded == {"q-omit": {"total": 2}, "q-valid": {"total": 3}}
    assert _count(node, "web", "Signed Up") == 0

    # The plan is fixed: a total may be a string, and Signed Up is planned.
    _plan(node, _rules(total=["number", "string"], signed_up=True))
    release = 'mutation ($event: String) { releaseQuarantine(source: "web", event: $event) { released } }'
    assert node.graphql(release, event="Order Completed") == {"releaseQuarantine": {"released": 1}}
    wait_until(lambda: _count(node, "web", "Order Completed") == 3, timeout=30, what="the released event folded")
    assert _count(node, "web", "Signed Up") == 0  # another event's quarantine is kept
    assert node.graphql(release, event=None) == {"releaseQuarantine": {"released": 1}}
    wait_until(lambda: _count(node, "web", "Signed Up") == 1, timeout=30, what="the second release folded")
    assert node.graphql(release, event=None) == {"releaseQuarantine": {"released": 0}}  # released once
    summary = {(s["event"], s["violationType"]): s["count"] for s in node.graphql(SUMMARY, source="web")["violationSummary"]}
    assert summary == {
        ("Order Completed", "TYPE_MISMATCH"): 1,
        ("Order Completed", "UNPLANNED_PROPERTY"): 1,
        ("Signed Up", "UNPLANNED_EVENT"): 1,
        (None, "TYPE_MISMATCH"): 1,
    }
    assert "tracklog_quarantined_events_total 2.0" in httpx.get(f"{node.url}/metrics").text

    assert node.stop() == 0
    checked = _tracklog(node, "rebuild", "--check")
    assert checked.returncode == 0, checked.stderr
    assert "(equal)" in checked.stderr
