"""Plans in force on an ``events`` partition, and the violations judged there: shared by
route-events and rebuild.

A plan record (``tracklog-kind: plan``) on each ``events`` partition says which
published plan version a source is held to from there on (``registry.plans.judge.
InForce``, one per source; written at each publish and connect). ``PlanGate`` keeps
them in the partition's ``plans-in-force`` table, judges each event of a held source,
and records its violations in the partition's ``violations`` table, the rows
``violations`` pages through, newest first::

    v <source> <inverted receivedAt> <messageId> 0 <index>          → violation row
    e <source> <event> <inverted receivedAt> <messageId> 0 <index>  → the same, by event
    d <source> <messageId>                                          → judged already

and in ``violation-summary``, one row per (source, type, event, violationType, path)
with its count, first and last time and up to five sample messageIds. Rows hold no
value of an event: names, paths and types. An event judged once is not counted again
when it is redelivered or released from quarantine.
"""

from __future__ import annotations

import struct
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from registry.plans import CompiledPlan, Violation
from registry.plans.judge import InForce, Judgement, ViolationCount, ViolationRecord, judge, violation_to_dict
from registry.plans.violations import ViolationType
from schemas import Event, encode_event
from schemas.sealed import KeyRef, json_envelope
from streams.folds.privacy import Privacy

PLAN: Final = b"plan"
SAMPLES: Final = 5
_INVERT: Final = (1 << 63) - 1

Table = MutableMapping[bytes, bytes]
# Compiled plans by (plan, version), shared by every partition: a published version never changes.
Compiled = dict[tuple[str, int], CompiledPlan]


def encode_plan_record(in_force: list[InForce]) -> bytes:
    return orjson.dumps({"inForce": [held.to_dict() for held in in_force]})


def decode_plan_record(value: bytes) -> list[InForce]:
    """The plans in force a record states; ValueError (or a RegistryError) naming what is wrong."""
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"plan: not JSON: {exc}") from None
    held = record.get("inForce") if isinstance(record, dict) else None
    if not isinstance(held, list) or not all(isinstance(h, dict) for h in held):
        raise ValueError("plan: expected an object with an `inForce` list")
    return [InForce.from_dict(h) for h in held]


def _part(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">H", len(raw)) + raw


def source_prefix(source: str) -> bytes:
    return b"v" + _part(source)


def event_prefix(source: str, event: str | None) -> bytes:
    return b"e" + _part(source) + _part(event or "")


def summary_prefix(source: str) -> bytes:
    return _part(source)


def _when(at_ms: int, message_id: str, index: int) -> bytes:
    return struct.pack(">q", _INVERT - at_ms) + message_id.encode() + b"\x00" + struct.pack(">H", index)


@dataclass(frozen=True, slots=True)
class Admission:
    """What becomes of one event: folded as ``event`` (sealed as ``sealed``), or
    quarantined (``quarantine``, its record); ``rows``, the violations recorded."""

    event: Event
    sealed: bytes
    rows: list[dict[str, Any]]
    quarantine: bytes | None = None


@dataclass(frozen=True, slots=True)
class Held:
    """A source's plan in force, compiled."""

    plan: str
    version: int
    compiled: CompiledPlan
    held: InForce


class PlanGate:
    """One ``events`` partition's plans in force and the violations judged there."""

    def __init__(self, in_force: Table, violations: Table, summary: Table, compiled: Compiled) -> None:
        self._in_force = in_force
        self._violations = violations
        self._summary = summary
        self._compiled = compiled
        self._held: dict[str, Held | None] = {}  # read through, by source

    def command(self, value: bytes) -> None:
        """Apply a plan record (ValueError if it is none)."""
        for held in decode_plan_record(value):
            self._in_force[held.source.encode()] = orjson.dumps(held.to_dict())
            self._held.pop(held.source, None)

    def held(self, source: str) -> Held | None:
        """The plan ``source`` is held to on this partition, if any."""
        try:
            return self._held[source]
        except KeyError:
            pass
        raw = self._in_force.get(source.encode())
        found = None
        if raw is not None:
            held = InForce.from_dict(orjson.loads(raw))
            compiled = self._compiled.get((held.plan, held.version))
            if compiled is None:
                compiled = self._compiled[held.plan, held.version] = held.compile()
            found = Held(held.plan, held.version, compiled, held)
        self._held[source] = found
        return found

    def judge(self, event: Event) -> tuple[Held, Judgement] | None:
        """``event`` judged by its source's plan; None when it is held to none."""
        held = self.held(event.source)
        if held is None:
            return None
        return held, judge(held.compiled, held.held.settings, event)

    def admit(
        self, event: Event, sealed: bytes, ref: KeyRef, privacy: Privacy, partition: int, offset: int
    ) -> Admission:
        """Judge ``event`` (opened from ``sealed``, at ``offset`` of ``partition``), record
        its violations, and say what is folded of it."""
        judged = self.judge(event)
        if judged is None or not judged[1].violations:
            return Admission(event, sealed, [])
        held, judgement = judged
        rows = self.record(event, held, judgement.violations)
        if judgement.quarantined:
            record = {
                "source": event.source,
                "type": event.type.value,
                "event": event.event,
                "messageId": event.message_id,
                "plan": held.plan,
                "planVersion": held.version,
                "partition": partition,
                "offset": offset,
                "violations": [violation_to_dict(v) for v in judgement.violations],
                "sealed": orjson.Fragment(json_envelope(sealed)),
            }
            return Admission(event, sealed, rows, orjson.dumps(record))
        if judgement.omitted:
            # The timeline keeps the event as folded, sealed as the edge sealed it.
            return Admission(judgement.event, privacy.seal(ref, encode_event(judgement.event)), rows)
        return Admission(event, sealed, rows)

    def record(self, event: Event, held: Held, violations: list[Violation]) -> list[dict[str, Any]]:
        """Record ``event``'s violations; the rows (as ``<prefix>.violations`` carries
        them), or none if this event was judged before."""
        source, message_id = event.source, event.message_id
        judged = b"d" + _part(source) + message_id.encode()
        if self._violations.get(judged) is not None:
            return []
        self._violations[judged] = b"1"
        rows = []
        for index, violation in enumerate(violations):
            row = violation_row(event, held, violation)
            encoded = orjson.dumps(row)
            when = _when(event.received_at_ms, message_id, index)
            self._violations[source_prefix(source) + when] = encoded
            self._violations[event_prefix(source, event.event) + when] = encoded
            self._count(event, violation)
            rows.append(row)
        return rows

    def _count(self, event: Event, violation: Violation) -> None:
        key = summary_prefix(event.source) + orjson.dumps(
            [event.type.value, event.event, violation.type.value, violation.path]
        )
        raw = self._summary.get(key)
        at = event.received_at_ms
        row: dict[str, Any]
        if raw is None:
            row = {"count": 0, "first": at, "last": at, "samples": []}
        else:
            row = orjson.loads(raw)
        row["count"] += 1
        row["first"] = min(row["first"], at)
        row["last"] = max(row["last"], at)
        if len(row["samples"]) < SAMPLES and event.message_id not in row["samples"]:
            row["samples"].append(event.message_id)
        self._summary[key] = orjson.dumps(row)


def violation_row(event: Event, held: Held, violation: Violation) -> dict[str, Any]:
    """A violation as the violations topic and table carry it."""
    return ViolationRecord(
        event.message_id, event.source, event.type.value, event.event, held.plan, held.version, violation, event.received_at_ms
    ).to_dict()


def decode_count(source: str, key: bytes, value: bytes) -> ViolationCount:
    """A ``violation-summary`` row of ``source`` (its key, its value)."""
    kind, event, violation, path = orjson.loads(key[len(summary_prefix(source)) :])
    row = orjson.loads(value)
    return ViolationCount(
        kind, event, ViolationType(violation), path, row["count"], row["first"], row["last"], tuple(row["samples"])
    )
