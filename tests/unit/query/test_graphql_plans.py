"""Tracking plans over GraphQL, on plans folded in memory: versions, publishing, connecting,
generating, and bad plans refused naming the rule and pointer."""

from __future__ import annotations

from typing import Any

from strawberry.types import ExecutionResult

from query.graphql import schema
from registry import SchemaKey
from tests.unit.query.fakes import MemoryPlans, MemorySchemas, context

PLAN = "name version published rules sources"
UPSERT = f"mutation ($name: String!, $rules: JSON!) {{ upsertTrackingPlan(name: $name, rules: $rules) {{ {PLAN} }} }}"
PUBLISH = f"mutation ($name: String!) {{ publishTrackingPlan(name: $name) {{ {PLAN} }} }}"
CONNECT = f"""mutation ($source: String!, $plan: String!) {{
  connectTrackingPlan(source: $source, plan: $plan, unplannedEvents: QUARANTINE, invalid: QUARANTINE) {{ {PLAN} }} }}"""
GENERATE = f"mutation ($source: String!, $name: String!) {{ generateTrackingPlan(source: $source, name: $name) {{ {PLAN} }} }}"
READ = f"query ($name: String!, $version: Int) {{ trackingPlan(name: $name, version: $version) {{ {PLAN} }} }}"
RULE = {
    "type": "TRACK",
    "key": "Order Completed",
    "version": 1,
    "jsonSchema": {"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"properties": {"required": ["total"]}}},
}


async def _run(query: str, plans: MemoryPlans, **variables: Any) -> ExecutionResult:
    return await schema.execute(query, variable_values=variables, context_value=context(plans=plans))


async def _data(query: str, plans: MemoryPlans, **variables: Any) -> dict[str, Any]:
    result = await _run(query, plans, **variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def test_a_plan_is_drafted_published_and_its_published_version_never_changes() -> None:
    plans = MemoryPlans()
    draft = (await _data(UPSERT, plans, name="web", rules=[RULE]))["upsertTrackingPlan"]
    assert draft == {"name": "web", "version": 1, "published": False, "rules": [RULE], "sources": []}
    changed = {**RULE, "key": "Order Placed"}
    assert (await _data(UPSERT, plans, name="web", rules=[changed]))["upsertTrackingPlan"]["version"] == 1  # the draft
    assert (await _data(PUBLISH, plans, name="web"))["publishTrackingPlan"]["published"] is True

    again = (await _data(UPSERT, plans, name="web", rules=[RULE]))["upsertTrackingPlan"]
    assert (again["version"], again["published"]) == (2, False)
    first = (await _data(READ, plans, name="web", version=1))["trackingPlan"]
    assert (first["rules"], first["published"]) == ([changed], True)
    assert (await _data(READ, plans, name="web"))["trackingPlan"]["version"] == 2
    assert (await _data(READ, plans, name="nope"))["trackingPlan"] is None


async def test_a_source_is_connected_to_the_latest_published_version() -> None:
    plans = MemoryPlans()
    await _data(UPSERT, plans, name="web", rules=[RULE])
    refused = await _run(CONNECT, plans, source="web-app", plan="web")
    assert refused.errors is not None and "'web' has no published version yet" in refused.errors[0].message
    await _data(PUBLISH, plans, name="web")
    await _data(UPSERT, plans, name="web", rules=[])  # a draft v2 is not what the source is held to
    connected = (await _data(CONNECT, plans, source="web-app", plan="web"))["connectTrackingPlan"]
    assert (connected["version"], connected["sources"]) == (1, ["web-app"])
    in_force = plans.book.in_force("web-app")
    assert in_force is not None and in_force[1].unplanned_events.value == "QUARANTINE"


async def test_a_bad_plan_is_refused_naming_the_rule_and_the_pointer_and_nothing_is_kept() -> None:
    plans = MemoryPlans()
    bad = {**RULE, "key": "Cart Viewed", "jsonSchema": {"properties": {"properties": {"type": "integr"}}}}
    result = await _run(UPSERT, plans, name="web", rules=[RULE, bad])
    assert result.errors is not None
    assert result.errors[0].message.startswith("rules[1]/jsonSchema/properties/properties/type: ")
    no_key = await _run(UPSERT, plans, name="web", rules=[{**RULE, "key": None}])
    assert no_key.errors is not None and "rules[0]/key: a TRACK rule names its event" in no_key.errors[0].message
    empty = await _run(UPSERT, plans, name=" ", rules=[RULE])
    assert empty.errors is not None and "invalid argument 'name'" in empty.errors[0].message
    nothing = await _run(PUBLISH, plans, name="web")
    assert nothing.errors is not None and "there is no tracking plan 'web'" in nothing.errors[0].message
    assert plans.book.plans == {}


async def test_a_plan_is_generated_from_what_a_source_sent() -> None:
    schemas = MemorySchemas()
    key = SchemaKey("web-app", "track", "Order Completed")
    schemas.observe(key, {"total": 10, "note": "gift"}, 1_000, "m1")
    schemas.observe(key, {"total": 12}, 2_000, "m2")
    plans = MemoryPlans(schemas)
    made = (await _data(GENERATE, plans, source="web-app", name="generated"))["generateTrackingPlan"]
    [rule] = made["rules"]
    assert (rule["type"], rule["key"], made["published"]) == ("TRACK", "Order Completed", False)
    planned = rule["jsonSchema"]["properties"]["properties"]
    assert planned["required"] == ["total"] and planned["additionalProperties"] is False
    unknown = await _run(GENERATE, plans, source="ios", name="x")
    assert unknown.errors is not None and "'ios' has sent nothing to plan from" in unknown.errors[0].message


async def test_a_plan_diff_compares_the_connected_plan_with_what_the_source_sent() -> None:
    schemas = MemorySchemas()
    schemas.observe(SchemaKey("web-app", "track", "Order Completed"), {"total": "12.00"}, 1_000, "m1")
    schemas.observe(SchemaKey("web-app", "track", "Cart Viewed"), {"n": 1}, 2_000, "m2")
    plans = MemoryPlans(schemas)
    typed = {**RULE, "jsonSchema": {"properties": {"properties": {"properties": {"total": {"type": "number"}}}}}}
    await _data(UPSERT, plans, name="web", rules=[typed, {**RULE, "key": "Signed Up"}])
    diff = "query ($source: String!) { planDiff(source: $source) { kind type event path planned seen } }"
    refused = await _run(diff, plans, source="web-app")
    assert refused.errors is not None and "'web-app' is connected to no published plan" in refused.errors[0].message
    await _data(PUBLISH, plans, name="web")
    await _data(CONNECT, plans, source="web-app", plan="web")
    found = (await _data(diff, plans, source="web-app"))["planDiff"]
    assert [(d["kind"], d["event"], d["path"], d["planned"], d["seen"]) for d in found] == [
        ("TYPE_DRIFT", "Order Completed", "properties.total", "number", "STRING"),
        ("PLANNED_NOT_SEEN", "Signed Up", None, None, None),
        ("SEEN_NOT_PLANNED", "Cart Viewed", None, None, None),
    ]
