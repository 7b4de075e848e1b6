"""One event judged by the plan in force for its source: its violations, decided, and
the event as it is folded (without its omitted properties).

The plan a source is held to travels down the ``events`` log itself (``InForce``, one
record per source at each publish and connect), so each event is judged by the version
in force at its log position, and a rebuild judges it the same way.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from registry.plans.compiled import CompiledPlan, compile_plan
from registry.plans.rules import Rule, parse_rules
from registry.plans.violations import Action, ConnectSettings, Violation, ViolationType
from registry.types import ColumnType
from schemas import Event, EventType

_NAMED = (EventType.TRACK, EventType.PAGE, EventType.SCREEN)
_SECTIONS = ("properties", "traits", "context")


@dataclass(frozen=True, slots=True)
class InForce:
    """The published plan version a source is held to, and how."""

    source: str
    plan: str
    version: int
    settings: ConnectSettings
    rules: tuple[Rule, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "plan": self.plan,
            "version": self.version,
            **self.settings.to_dict(),
            "rules": [rule.to_dict() for rule in self.rules],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> InForce:
        """ValueError (or a RegistryError) naming what is wrong."""
        source, plan, version = raw.get("source"), raw.get("plan"), raw.get("version")
        if not isinstance(source, str) or not isinstance(plan, str):
            raise ValueError("plan: expected a source and a plan name")
        if isinstance(version, bool) or not isinstance(version, int):
            raise ValueError("plan: expected a version number")
        return cls(source, plan, version, ConnectSettings.from_dict(raw), parse_rules(raw.get("rules")))

    def compile(self) -> CompiledPlan:
        return compile_plan(self.rules)


@dataclass(frozen=True, slots=True)
class Judgement:
    """An event's violations (each with its action) and the event as it is folded."""

    violations: list[Violation]
    event: Event

    @property
    def quarantined(self) -> bool:
        return any(v.action is Action.QUARANTINED for v in self.violations)

    @property
    def omitted(self) -> bool:
        return any(v.action is Action.OMITTED for v in self.violations)


def event_version(event: Event) -> int | None:
    """``context.protocols.event_version``: the rule version the event asks for."""
    protocols = event.context.get("protocols")
    version = protocols.get("event_version") if isinstance(protocols, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def judge(plan: CompiledPlan, settings: ConnectSettings, event: Event) -> Judgement:
    """``event`` checked against ``plan``, each violation decided by ``settings``; an
    unplanned property that is omitted is gone from the event returned."""
    name = event.event if event.type in _NAMED else None
    sections = {"properties": event.properties, "traits": event.traits, "context": event.context}
    call = event.type.value
    violations = settings.decide(plan.check(call, name, sections, event_version(event)), call)
    omit = [v.path for v in violations if v.action is Action.OMITTED]
    return Judgement(violations, _without(event, omit) if omit else event)


def _without(event: Event, pointers: list[str]) -> Event:
    """``event`` without the values at ``pointers`` (into its sections)."""
    sections: dict[str, Any] = {name: copy.deepcopy(getattr(event, name)) for name in _SECTIONS}
    for pointer in pointers:
        steps = [s.replace("~1", "/").replace("~0", "~") for s in pointer.split("/")[1:]]
        parent: Any = sections
        for step in steps[:-1]:
            parent = _step(parent, step)
        if isinstance(parent, dict):
            parent.pop(steps[-1], None)
    return replace(event, **sections)


def _step(node: Any, step: str) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and step.isdigit() and int(step) < len(node):
        return node[int(step)]
    return None


def violation_to_dict(violation: Violation) -> dict[str, Any]:
    return {
        "violationType": violation.type.value,
        "path": violation.path,
        "expected": violation.expected,
        "actualType": violation.actual_type.value if violation.actual_type is not None else None,
        "action": violation.action.value,
    }


def violation_from_dict(raw: Mapping[str, Any]) -> Violation:
    """ValueError naming what is wrong."""
    actual = raw.get("actualType")
    return Violation(
        ViolationType(raw.get("violationType")),
        str(raw.get("path", "")),
        str(raw.get("expected", "")),
        ColumnType(actual) if actual is not None else None,
        Action(raw.get("action")),
    )


def is_unplanned(violation: Violation) -> bool:
    return violation.type is ViolationType.UNPLANNED_EVENT


@dataclass(frozen=True, slots=True)
class ViolationRecord:
    """One violation of one event, as the violations topic and table carry it."""

    message_id: str
    source: str
    type: str  # the call, lowercase (Segment's)
    event: str | None
    plan: str
    plan_version: int
    violation: Violation
    at_ms: int  # the event's receivedAt

    def to_dict(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "source": self.source,
            "type": self.type,
            "event": self.event,
            "plan": self.plan,
            "planVersion": self.plan_version,
            **violation_to_dict(self.violation),
            "at": self.at_ms,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ViolationRecord:
        """ValueError naming what is wrong."""
        try:
            event = raw["event"]
            return cls(
                str(raw["messageId"]),
                str(raw["source"]),
                str(raw["type"]),
                None if event is None else str(event),
                str(raw["plan"]),
                int(raw["planVersion"]),
                violation_from_dict(raw),
                int(raw["at"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"violation: missing or wrong {exc}") from None


@dataclass(frozen=True, slots=True)
class ViolationCount:
    """How often one kind of violation was seen at one path of one event."""

    type: str
    event: str | None
    violation_type: ViolationType
    path: str
    count: int
    first_ms: int
    last_ms: int
    samples: tuple[str, ...]  # a few messageIds of events that had it


def merge_counts(counts: list[ViolationCount], samples: int = 5) -> list[ViolationCount]:
    """The counts of several partitions, one per (type, event, violation type, path),
    the most frequent first."""
    merged: dict[tuple[str, str | None, ViolationType, str], ViolationCount] = {}
    for count in counts:
        key = (count.type, count.event, count.violation_type, count.path)
        found = merged.get(key)
        if found is None:
            merged[key] = count
            continue
        kept = found.samples + tuple(s for s in count.samples if s not in found.samples)
        merged[key] = replace(
            found,
            count=found.count + count.count,
            first_ms=min(found.first_ms, count.first_ms),
            last_ms=max(found.last_ms, count.last_ms),
            samples=kept[:samples],
        )
    return sorted(merged.values(), key=lambda c: (-c.count, c.type, c.event or "", c.violation_type.value, c.path))
