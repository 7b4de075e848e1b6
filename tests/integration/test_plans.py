"""Tracking plans through running nodes: commands on the log, the same on every node and
after a restart; a plan generated from what a source sent."""

from __future__ import annotations

from tests.integration.conftest import StartNode
from tests.waiting import wait_until

PLAN = "name version published rules sources"
RULE = {
    "type": "TRACK",
    "key": "Order Completed",
    "version": 1,
    "jsonSchema": {"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"properties": {"required": ["total"]}}},
}
UPSERT = f"mutation ($rules: JSON!) {{ upsertTrackingPlan(name: \"web\", rules: $rules) {{ {PLAN} }} }}"
READ = f'query ($version: Int) {{ trackingPlan(name: "web", version: $version) {{ {PLAN} }} }}'


def test_a_published_plan_and_its_connection_are_on_every_node_and_survive_a_restart(start_node: StartNode) -> None:
    first = start_node("first")
    second = start_node("second")
    assert first.graphql(UPSERT, rules=[RULE])["upsertTrackingPlan"]["version"] == 1
    assert first.graphql('mutation { publishTrackingPlan(name: "web") { published } }') == {
        "publishTrackingPlan": {"published": True}
    }
    connected = first.graphql('mutation { connectTrackingPlan(source: "web", plan: "web") { version sources } }')
    assert connected == {"connectTrackingPlan": {"version": 1, "sources": ["web"]}}
    expected = {"name": "web", "version": 1, "published": True, "rules": [RULE], "sources": ["web"]}
    wait_until(lambda: second.graphql(READ)["trackingPlan"] == expected, timeout=30, what="the plan on the second node")

    assert second.stop() == 0
    second.start()
    assert second.graphql(READ)["trackingPlan"] == expected  # read whole before it serves


def test_a_plan_generated_from_a_sources_events_requires_what_each_carried(start_node: StartNode) -> None:
    node = start_node()
    calls = [
        {"type": "track", "userId": "u1", "event": "Order Completed", "properties": {"total": 10, "note": "gift"}},
        {"type": "track", "userId": "u2", "event": "Order Completed", "properties": {"total": 12}},
        {"type": "identify", "userId": "u1", "traits": {"plan": "pro"}},
    ]
    assert node.post("/v1/batch", {"batch": calls}).status_code == 200
    count = '{ eventSchema(source: "web", type: TRACK, event: "Order Completed") { eventCount } }'
    wait_until(lambda: (node.graphql(count)["eventSchema"] or {}).get("eventCount") == 2, timeout=60, what="the schema")
    made = node.graphql(
        'mutation { generateTrackingPlan(source: "web", name: "generated") { version published rules } }'
    )["generateTrackingPlan"]
    rules = {(r["type"], r["key"]): r["jsonSchema"] for r in made["rules"]}
    assert (made["version"], made["published"]) == (1, False)
    assert rules["TRACK", "Order Completed"]["properties"]["properties"]["required"] == ["total"]
    assert "required" not in rules["IDENTIFY", None]["properties"]["traits"]
