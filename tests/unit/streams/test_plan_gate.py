"""route-events' plan gate over plain dicts: a plan record takes effect where it falls in
the partition, quarantined events are not folded, omitted properties are not kept, and
a redelivered step counts nothing twice."""

from __future__ import annotations

import orjson

from registry.plans import ConnectSettings, parse_rules
from registry.plans.judge import InForce
from registry.plans.violations import Invalid, UnplannedEvents, UnplannedProperties
from schemas.log import record_items
from schemas.sealed import from_json_envelope
from streams.agents.route_events import route
from streams.agents.steps import no_pace
from streams.folds.commands import KIND_HEADER
from streams.folds.events import EventFold
from streams.folds.plans import PLAN, PlanGate, encode_plan_record
from streams.folds.rows import RowDict
from tests.unit.streams.test_agents import PRIVACY, _event, _message, _record

RULES = parse_rules(
    [{"type": "TRACK", "key": "Order Completed", "version": 1, "jsonSchema": {
        "properties": {"properties": {"properties": {"n": {"type": "integer", "maximum": 1}}, "additionalProperties": False}}}}]
)
STRICT = ConnectSettings(UnplannedEvents.QUARANTINE, UnplannedProperties.OMIT, Invalid.QUARANTINE)


def _plan_message(offset: int, settings: ConnectSettings = STRICT) -> object:
    value = encode_plan_record([InForce("web", "shop", 1, settings, RULES)])
    return _message(value, offset, headers=[(KIND_HEADER, PLAN)])


class _Partition:
    def __init__(self) -> None:
        self.timeline = RowDict()
        self.violations = RowDict()
        self.summary = RowDict()
        self.fold = EventFold(RowDict(), RowDict(), self.timeline, PRIVACY)
        self.gate = PlanGate(RowDict(), self.violations, self.summary, {})


def _opened_timeline(partition: _Partition) -> dict[str, dict[str, object]]:
    found = {}
    for _, sealed in partition.timeline.scan(b""):
        opened = PRIVACY.open(sealed)
        assert opened is not None
        event = orjson.loads(opened[0])
        found[event["messageId"]] = event["properties"]
    return found


async def test_a_plan_holds_from_where_its_record_falls_and_quarantines_and_omits() -> None:
    p = _Partition()
    messages = [
        _message(_record(_event(5)), 1),  # before the plan: folded as sent
        _plan_message(2),
        _message(_record(_event(1), _event(6), _event(7, name="Signed Up")), 3),
    ]
    routed = await route(messages, lambda _: p.fold, PRIVACY, no_pace, lambda _: p.gate)
    p.fold.write_back()

    assert _opened_timeline(p) == {"m5": {"n": 5}, "m1": {"n": 1}}
    assert [(q[0], orjson.loads(q[1])["messageId"]) for q in routed.quarantined] == [("web", "m6"), ("web", "m7")]
    quarantined = orjson.loads(routed.quarantined[0][1])
    on_the_log = record_items(messages[2].value)[1]  # type: ignore[attr-defined]
    assert from_json_envelope(orjson.dumps(quarantined["sealed"])) == on_the_log  # still sealed, as it came
    assert [(v["messageId"], v["violationType"], v["action"]) for v in routed.violations] == [
        ("m6", "OTHER", "QUARANTINED"),
        ("m7", "UNPLANNED_EVENT", "QUARANTINED"),
    ]
    assert sorted(routed.observed) and all(o.message_id in {"m5", "m1"} for obs in routed.observed.values() for o in obs)

    again = await route(messages[2:], lambda _: p.fold, PRIVACY, no_pace, lambda _: p.gate)
    assert again.violations == []  # judged once: a redelivered step counts nothing again
    assert len(again.quarantined) == 2  # but is still held back, not folded
    assert [orjson.loads(v)["count"] for _, v in p.summary.scan(b"")] == [1, 1]


async def test_an_omitted_property_is_left_out_of_the_timeline_and_the_observation() -> None:
    p = _Partition()
    omit = ConnectSettings(unplanned_properties=UnplannedProperties.OMIT)
    extra = _event(1).replace(b'"properties":{"n":1}', b'"properties":{"n":1,"secret":"x"}')
    assert extra != _event(1)
    routed = await route(
        [_plan_message(0, omit), _message(_record(extra), 1)], lambda _: p.fold, PRIVACY, no_pace, lambda _: p.gate
    )
    p.fold.write_back()
    assert _opened_timeline(p) == {"m1": {"n": 1}}
    [observations] = routed.observed.values()
    assert [sorted(o.columns) for o in observations] == [["properties.n"]]
    assert [(v["path"], v["action"]) for v in routed.violations] == [("/properties/secret", "OMITTED")]


async def test_a_bad_plan_record_is_dead_lettered_and_the_partition_goes_on() -> None:
    p = _Partition()
    bad = _message(b'{"inForce": [{"source": "web"}]}', 0, headers=[(KIND_HEADER, PLAN)])
    routed = await route([bad, _message(_record(_event(1)), 1)], lambda _: p.fold, PRIVACY, no_pace, lambda _: p.gate)
    assert [d.reason for d in routed.dead] == ["plan: expected a source and a plan name"]
    p.fold.write_back()
    assert list(_opened_timeline(p)) == ["m1"]
