"""registry.plans.judge: the version an event asks for, what is omitted, what travels the log."""

from __future__ import annotations

from typing import Any

from registry.plans import ConnectSettings, parse_rules
from registry.plans.judge import InForce, event_version, judge
from registry.plans.violations import Action, Invalid, UnplannedEvents, UnplannedProperties, ViolationType
from schemas import Event, EventType

RULES = parse_rules([
    {"type": "TRACK", "key": "Paid", "version": 1, "jsonSchema": {"properties": {"properties": {"required": ["total"]}}}},
    {"type": "TRACK", "key": "Paid", "version": 2, "jsonSchema": {"properties": {"properties": {
        "required": ["amount"], "properties": {"amount": {}, "meta": {"type": "object", "additionalProperties": False}},
        "additionalProperties": False}}}},
])


def _event(properties: dict[str, Any], context: dict[str, Any] | None = None) -> Event:
    return Event(
        type=EventType.TRACK, message_id="m1", source="web", user_id="u1", anonymous_id=None, event="Paid",
        timestamp_ms=0, received_at_ms=0, sent_at_ms=None, original_timestamp_ms=None, properties=properties,
        traits={}, context=context or {}, previous_id=None, group_id=None, integrations={},
    )


def test_the_event_version_in_its_context_picks_the_rule_else_the_latest() -> None:
    plan = InForce("web", "shop", 1, ConnectSettings(), RULES).compile()
    v1 = _event({"total": 1}, {"protocols": {"event_version": 1}})
    assert event_version(v1) == 1
    assert judge(plan, ConnectSettings(), v1).violations == []
    latest = judge(plan, ConnectSettings(), _event({"total": 1})).violations  # version 2
    assert {(v.type, v.path) for v in latest} == {
        (ViolationType.REQUIRED_MISSING, "/properties/amount"),
        (ViolationType.UNPLANNED_PROPERTY, "/properties/total"),
    }
    [unknown] = judge(plan, ConnectSettings(), _event({"total": 1}, {"protocols": {"event_version": 9}})).violations
    assert unknown.type is ViolationType.UNPLANNED_EVENT
    assert event_version(_event({}, {"protocols": {"event_version": True}})) is None


def test_omitted_properties_leave_the_event_folded_and_nothing_else() -> None:
    settings = ConnectSettings(UnplannedEvents.ALLOW, UnplannedProperties.OMIT, Invalid.QUARANTINE)
    plan = InForce("web", "shop", 1, settings, RULES).compile()
    sent = _event({"amount": 1, "note": "x", "meta": {"a/b": 1, "ok": None}})
    judged = judge(plan, settings, sent)
    assert {(v.path, v.action) for v in judged.violations} == {
        ("/properties/note", Action.OMITTED),
        ("/properties/meta/a~1b", Action.OMITTED),
        ("/properties/meta/ok", Action.OMITTED),
    }
    assert judged.omitted and not judged.quarantined
    assert judged.event.properties == {"amount": 1, "meta": {}}
    assert sent.properties == {"amount": 1, "note": "x", "meta": {"a/b": 1, "ok": None}}  # the event sent is kept


def test_a_plan_in_force_reads_back_as_written() -> None:
    held = InForce("web", "shop", 3, ConnectSettings(UnplannedEvents.QUARANTINE), RULES)
    assert InForce.from_dict(held.to_dict()) == held


def _identify(traits: dict[str, Any]) -> Event:
    return Event(
        type=EventType.IDENTIFY, message_id="i1", source="web", user_id="u1", anonymous_id=None, event=None,
        timestamp_ms=0, received_at_ms=0, sent_at_ms=None, original_timestamp_ms=None, properties={},
        traits=traits, context={}, previous_id=None, group_id=None, integrations={},
    )


def test_track_and_identify_settings_stay_separate() -> None:
    identify = {"type": "IDENTIFY", "key": None, "version": 1,
                "jsonSchema": {"properties": {"traits": {"properties": {"plan": {"enum": ["pro"]}}, "additionalProperties": False}}}}
    strict_tracks = ConnectSettings(UnplannedEvents.QUARANTINE, UnplannedProperties.OMIT, Invalid.QUARANTINE)
    with_identify = InForce("web", "shop", 1, strict_tracks, (*RULES, *parse_rules([identify]))).compile()
    without_identify = InForce("web", "shop", 1, strict_tracks, RULES).compile()
    call = _identify({"plan": "gold", "age": 3})

    observed = judge(with_identify, strict_tracks, call)  # the track settings do not reach traits
    assert {(v.type, v.action) for v in observed.violations} == {
        (ViolationType.ENUM, Action.ANNOTATED), (ViolationType.UNPLANNED_PROPERTY, Action.ANNOTATED)
    }
    assert observed.event.traits == {"plan": "gold", "age": 3}
    [unplanned] = judge(without_identify, strict_tracks, call).violations  # no identify rule: recorded, never held
    assert (unplanned.type, unplanned.action) == (ViolationType.UNPLANNED_EVENT, Action.ANNOTATED)

    strict_traits = ConnectSettings(unplanned_traits=UnplannedProperties.OMIT, invalid_traits=Invalid.QUARANTINE)
    held = judge(with_identify, strict_traits, call)
    assert held.quarantined and {v.action for v in held.violations} == {Action.QUARANTINED, Action.OMITTED}
    track = judge(with_identify, strict_traits, _event({"total": 1}))  # and they do not reach tracks
    assert {v.action for v in track.violations} == {Action.ANNOTATED}
