"""registry.plans: rules as Segment exports them, each event's violations, generated plans."""

from __future__ import annotations

from typing import Any

import pytest

from registry import Cause, ColumnType, SchemaKey, fold_event, infer_columns
from registry.plans import (
    Action,
    ConnectSettings,
    InvalidPlanError,
    Violation,
    ViolationType,
    compile_plan,
    generate_rules,
    parse_rules,
    plan_diff,
)
from registry.plans.generate import REVIEW
from registry.plans.violations import Invalid, UnplannedEvents, UnplannedProperties, quarantined

DRAFT_07 = "http://json-schema.org/draft-07/schema#"

# A rule as Segment's Protocols export writes it (draft-07, the whole event's sections).
ORDER_COMPLETED: dict[str, Any] = {
    "type": "TRACK",
    "key": "Order Completed",
    "version": 1,
    "jsonSchema": {
        "$schema": DRAFT_07,
        "type": "object",
        "properties": {
            "context": {},
            "traits": {"type": "object"},
            "properties": {
                "type": "object",
                "properties": {
                    "total": {"type": "number", "description": "the order's total"},
                    "currency": {"enum": ["EUR", "USD"]},
                    "coupon": {"type": "string", "pattern": "^C-"},
                    "email": {"type": "string", "format": "email"},
                    "items": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
                },
                "required": ["total"],
                "additionalProperties": False,
            },
        },
        "required": ["properties"],
    },
}
IDENTIFY = {
    "type": "IDENTIFY",
    "key": None,
    "version": 1,
    "jsonSchema": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "properties": {"traits": {"properties": {"plan": {"enum": ["free", "pro"]}}}},
    },
}
PAGE = {"type": "PAGE", "key": None, "jsonSchema": {"properties": {"properties": {"required": ["path"]}}}}
SCREEN = {"type": "SCREEN", "key": "Home", "jsonSchema": {"properties": {"properties": {"required": ["tab"]}}}}


def _violations(rules: list[dict[str, Any]], call: str, name: str | None, **sections: Any) -> list[tuple[str, str]]:
    found = compile_plan(parse_rules(rules)).check(call, name, sections)
    return [(v.type.value, v.path) for v in found]


@pytest.mark.parametrize(
    ("properties", "violation", "path", "actual"),
    [
        ({"total": "12"}, ViolationType.TYPE_MISMATCH, "/properties/total", ColumnType.STRING),
        ({"total": 1, "currency": "GBP"}, ViolationType.ENUM, "/properties/currency", ColumnType.STRING),
        ({"total": 1, "coupon": "X1"}, ViolationType.PATTERN, "/properties/coupon", ColumnType.STRING),
        ({"total": 1, "email": "not an address"}, ViolationType.FORMAT, "/properties/email", ColumnType.STRING),
        ({"total": 1, "gift/wrap~": True}, ViolationType.UNPLANNED_PROPERTY, "/properties/gift~1wrap~0", ColumnType.BOOLEAN),
        ({"currency": "EUR"}, ViolationType.REQUIRED_MISSING, "/properties/total", None),
        ({"total": 1, "items": [{"sku": 7}]}, ViolationType.TYPE_MISMATCH, "/properties/items/0/sku", ColumnType.INTEGER),
    ],
)
def test_each_failing_keyword_is_its_violation_at_a_json_pointer(
    properties: dict[str, Any], violation: ViolationType, path: str, actual: ColumnType | None
) -> None:
    plan = compile_plan(parse_rules([ORDER_COMPLETED]))
    [found] = plan.check("track", "Order Completed", {"properties": properties, "traits": {}, "context": {}})
    assert (found.type, found.path, found.actual_type) == (violation, path, actual)
    assert found.action is Action.ANNOTATED


def test_what_the_rule_expected_is_said_in_its_words() -> None:
    plan = compile_plan(parse_rules([ORDER_COMPLETED]))
    found = plan.check("track", "Order Completed", {"properties": {"total": "x", "currency": "GBP"}})
    assert [v.expected for v in found] == ["type: number", "enum: EUR, USD"]


def test_a_valid_event_has_no_violations_and_names_are_case_sensitive() -> None:
    valid = {"properties": {"total": 9.5, "currency": "EUR", "items": [{"sku": "a"}]}, "traits": {}, "context": {}}
    assert _violations([ORDER_COMPLETED], "track", "Order Completed", **valid) == []
    assert _violations([ORDER_COMPLETED], "track", "order completed", **valid) == [("UNPLANNED_EVENT", "")]


def test_track_and_identify_rules_stay_apart_and_page_and_screen_are_validated() -> None:
    rules = [ORDER_COMPLETED, IDENTIFY, PAGE, SCREEN]
    # The identify rule says nothing of a track's traits, nor the track rule of an identify.
    assert _violations(rules, "identify", None, traits={"plan": "gold"}) == [("ENUM", "/traits/plan")]
    assert _violations(rules, "identify", None, traits={"plan": "pro", "total": "x"}) == []
    assert _violations(rules, "track", "Order Completed", properties={"total": 1}, traits={"plan": "gold"}) == []
    assert _violations(rules, "page", "Pricing", properties={}) == [("REQUIRED_MISSING", "/properties/path")]
    assert _violations(rules, "screen", "Home", properties={}) == [("REQUIRED_MISSING", "/properties/tab")]
    assert _violations(rules, "screen", "Settings", properties={}) == [("UNPLANNED_EVENT", "")]
    assert _violations(rules, "group", None, traits={}) == [("UNPLANNED_EVENT", "")]
    assert _violations(rules, "alias", None) == []


def test_the_event_version_picks_the_rule_version_and_the_highest_is_the_default() -> None:
    v2 = {**ORDER_COMPLETED, "version": 2, "jsonSchema": {"properties": {"properties": {"required": ["total", "tax"]}}}}
    plan = compile_plan(parse_rules([ORDER_COMPLETED, v2]))
    event = {"properties": {"total": 1}}
    assert [v.path for v in plan.check("track", "Order Completed", event)] == ["/properties/tax"]
    assert plan.check("track", "Order Completed", event, event_version=1) == []
    [unknown] = plan.check("track", "Order Completed", event, event_version=3)
    assert (unknown.type, unknown.expected) == (ViolationType.UNPLANNED_EVENT, "version 3 of the rule")


def test_a_common_rule_applies_to_every_event() -> None:
    common = {"type": "COMMON", "key": None, "jsonSchema": {"properties": {"context": {"required": ["app"]}}}}
    found = _violations([ORDER_COMPLETED, common], "track", "Order Completed", properties={"total": 1}, context={})
    assert found == [("REQUIRED_MISSING", "/context/app")]


@pytest.mark.parametrize(
    ("rules", "says"),
    [
        ({"type": "TRACK"}, "rules: expected a list of rules"),
        (["x"], "rules[0]: expected an object"),
        ([{**ORDER_COMPLETED, "type": "EVENT"}], "rules[0]/type: expected one of TRACK, IDENTIFY"),
        ([{**ORDER_COMPLETED, "key": None}], "rules[0]/key: a TRACK rule names its event"),
        ([{**ORDER_COMPLETED, "version": 0}], "rules[0]/version: expected a whole number from 1"),
        ([{**ORDER_COMPLETED, "jsonSchema": []}], "rules[0]/jsonSchema: expected a JSON Schema object"),
        ([ORDER_COMPLETED, IDENTIFY, ORDER_COMPLETED], "rules[2]: the same type, key and version as rules[0]"),
    ],
)
def test_a_malformed_rule_is_refused_naming_it(rules: object, says: str) -> None:
    with pytest.raises(InvalidPlanError) as raised:
        parse_rules(rules)
    assert str(raised.value).startswith(says)


def test_an_invalid_schema_is_refused_naming_the_rule_and_the_pointer() -> None:
    bad = {**IDENTIFY, "jsonSchema": {"properties": {"traits": {"properties": {"plan": {"type": 5}}}}}}
    with pytest.raises(InvalidPlanError) as raised:
        compile_plan(parse_rules([ORDER_COMPLETED, bad]))
    assert (raised.value.rule, raised.value.pointer) == (1, "/jsonSchema/properties/traits/properties/plan/type")


def test_a_schema_that_refers_to_another_document_is_refused_not_fetched() -> None:
    remote = {**IDENTIFY, "jsonSchema": {"$ref": "https://schemas.example.com/identify.json"}}
    with pytest.raises(InvalidPlanError, match="may not refer to other documents"):
        compile_plan(parse_rules([remote]))


def test_a_connection_decides_what_each_violation_costs() -> None:
    unplanned = Violation(ViolationType.UNPLANNED_EVENT, "", "a rule")
    extra = Violation(ViolationType.UNPLANNED_PROPERTY, "/properties/x", "no such property")
    wrong = Violation(ViolationType.TYPE_MISMATCH, "/properties/total", "type: number")
    observe = ConnectSettings().decide([unplanned, extra, wrong])
    assert [v.action for v in observe] == [Action.ANNOTATED] * 3 and not quarantined(observe)
    strict = ConnectSettings(UnplannedEvents.QUARANTINE, UnplannedProperties.OMIT, Invalid.QUARANTINE)
    decided = strict.decide([unplanned, extra, wrong])
    assert [v.action for v in decided] == [Action.QUARANTINED, Action.OMITTED, Action.QUARANTINED]
    assert quarantined(decided)
    assert not quarantined(ConnectSettings(unplanned_properties=UnplannedProperties.OMIT).decide([extra]))


def _folded(events: list[tuple[SchemaKey, dict[str, Any]]]) -> dict[SchemaKey, Any]:
    schemas: dict[SchemaKey, Any] = {}
    for n, (key, sections) in enumerate(events):
        state, columns = schemas.get(key, (None, {}))
        result = fold_event(key, state, columns, infer_columns(sections), at_ms=n, cause=Cause(f"m{n}", 0, n, n))
        schemas[key] = (result.schema, {**columns, **result.columns})
    return schemas


ORDER = SchemaKey("web", "track", "Order Completed")
WHO = SchemaKey("web", "identify", None)
SEEN = [
    (ORDER, {"properties": {"total": 10, "price": "12.00", "note": "a"}}),
    (ORDER, {"properties": {"total": 12.5, "price": 12}}),
    (WHO, {"traits": {"email": "a@example.com", "plan": "pro"}}),
    (WHO, {"traits": {"email": "b@example.com", "plan": "free"}}),
]


def test_a_generated_plan_requires_what_every_track_carried_and_leaves_conflicts_open() -> None:
    rules = {(r["type"], r["key"]): r for r in generate_rules(_folded(SEEN))}
    order = rules["TRACK", "Order Completed"]["jsonSchema"]["properties"]["properties"]
    assert order["required"] == ["price", "total"]  # note was in one event of two
    assert order["additionalProperties"] is False
    assert order["properties"]["total"] == {"type": "number"}
    assert order["properties"]["price"] == {"description": REVIEW}  # STRING, then a number
    traits = rules["IDENTIFY", None]["jsonSchema"]["properties"]["traits"]
    assert "required" not in traits and "additionalProperties" not in traits  # identify carries partial traits
    assert traits["properties"]["plan"] == {"type": "string"}


def test_a_generated_plan_passes_the_events_it_was_made_from_and_parses_as_an_export() -> None:
    generated = generate_rules(_folded(SEEN))
    plan = compile_plan(parse_rules(generated))
    for key, sections in SEEN:
        assert plan.check(key.type, key.event, sections) == [], (key, sections)
    assert [v.type for v in plan.check("track", "Order Completed", {"properties": {"total": 1}})] == [
        ViolationType.REQUIRED_MISSING
    ]


def test_a_plan_diff_names_what_was_planned_not_seen_seen_not_planned_and_drifted() -> None:
    seen = _folded(
        [
            *SEEN,
            (ORDER, {"properties": {"total": "12.00", "coupon": "C-1"}}),  # total is now a STRING
            (SchemaKey("web", "track", "Cart Viewed"), {"properties": {"n": 1}}),
            (SchemaKey("web", "alias", None), {}),
        ]
    )
    planned = parse_rules(
        [
            ORDER_COMPLETED,  # total: number; coupon: string
            IDENTIFY,  # plan: enum, no type
            {"type": "TRACK", "key": "Signed Up", "jsonSchema": {}},
            {"type": "COMMON", "key": None, "jsonSchema": {}},
        ]
    )
    found = [(d.kind.value, d.type, d.event, d.path, d.planned, d.seen) for d in plan_diff(planned, seen)]
    assert found == [
        ("TYPE_DRIFT", "TRACK", "Order Completed", "properties.total", "number", ColumnType.STRING),
        ("PLANNED_NOT_SEEN", "TRACK", "Signed Up", None, None, None),
        ("SEEN_NOT_PLANNED", "TRACK", "Cart Viewed", None, None, None),
    ]
