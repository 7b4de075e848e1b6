"""What a plan says of one event: its violations, and what each costs the event.

A violation is named by the JSON Schema keyword that failed (``ViolationType``) and
placed by a JSON pointer into the event's sections (``/properties/price``). How a source
treats each kind is its connection's settings (``ConnectSettings``): observing only, by
default, every violation is recorded and the event goes on.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from registry.types import ColumnType


class ViolationType(str, enum.Enum):
    UNPLANNED_EVENT = "UNPLANNED_EVENT"
    UNPLANNED_PROPERTY = "UNPLANNED_PROPERTY"
    REQUIRED_MISSING = "REQUIRED_MISSING"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    ENUM = "ENUM"
    PATTERN = "PATTERN"
    FORMAT = "FORMAT"
    OTHER = "OTHER"


# The failing keyword → the violation; any keyword not here is OTHER.
KEYWORDS = {
    "required": ViolationType.REQUIRED_MISSING,
    "type": ViolationType.TYPE_MISMATCH,
    "enum": ViolationType.ENUM,
    "const": ViolationType.ENUM,
    "pattern": ViolationType.PATTERN,
    "format": ViolationType.FORMAT,
    "additionalProperties": ViolationType.UNPLANNED_PROPERTY,
    "unevaluatedProperties": ViolationType.UNPLANNED_PROPERTY,
}


class Action(str, enum.Enum):
    ANNOTATED = "ANNOTATED"  # recorded; the event goes on as sent
    OMITTED = "OMITTED"  # the unplanned property is left out of what is folded
    QUARANTINED = "QUARANTINED"  # the event goes to the quarantine topic, not folded


class UnplannedEvents(str, enum.Enum):
    ALLOW = "ALLOW"
    QUARANTINE = "QUARANTINE"


class UnplannedProperties(str, enum.Enum):
    KEEP = "KEEP"
    OMIT = "OMIT"


class Invalid(str, enum.Enum):
    ALLOW = "ALLOW"
    QUARANTINE = "QUARANTINE"


@dataclass(frozen=True, slots=True)
class Violation:
    """One way an event differs from its plan. ``expected`` says what the rule wanted
    (in the rule's words); ``actual_type`` is the type of the value found, if any."""

    type: ViolationType
    path: str
    expected: str
    actual_type: ColumnType | None = None
    action: Action = Action.ANNOTATED


# The calls whose payload is traits: their own settings (Segment's "Identify Calls" and
# "Group Calls"), never the track settings.
TRAITS_CALLS = frozenset({"identify", "group"})


@dataclass(frozen=True, slots=True)
class ConnectSettings:
    """How one source treats its plan's violations (Segment's names); the default only
    observes.

    ``unplanned_events``, ``unplanned_properties`` and ``invalid`` are for the calls that
    carry properties (track, page, screen); ``unplanned_traits`` and ``invalid_traits``
    for identify and group. An identify or group call no rule is for is recorded, never
    quarantined: a plan with no identify rule must not stop profiles.
    """

    unplanned_events: UnplannedEvents = UnplannedEvents.ALLOW
    unplanned_properties: UnplannedProperties = UnplannedProperties.KEEP
    invalid: Invalid = Invalid.ALLOW
    unplanned_traits: UnplannedProperties = UnplannedProperties.KEEP
    invalid_traits: Invalid = Invalid.ALLOW

    def action(self, violation: ViolationType, call: str = "track") -> Action:
        """What this connection does with ``violation`` of a ``call`` (lowercase)."""
        traits = call in TRAITS_CALLS
        if violation is ViolationType.UNPLANNED_EVENT:
            block = not traits and self.unplanned_events is UnplannedEvents.QUARANTINE
            return Action.QUARANTINED if block else Action.ANNOTATED
        if violation is ViolationType.UNPLANNED_PROPERTY:
            omit = (self.unplanned_traits if traits else self.unplanned_properties) is UnplannedProperties.OMIT
            return Action.OMITTED if omit else Action.ANNOTATED
        block = (self.invalid_traits if traits else self.invalid) is Invalid.QUARANTINE
        return Action.QUARANTINED if block else Action.ANNOTATED

    def decide(self, violations: Iterable[Violation], call: str = "track") -> list[Violation]:
        """``violations`` of a ``call`` with the action this connection takes on each."""
        return [
            Violation(v.type, v.path, v.expected, v.actual_type, self.action(v.type, call)) for v in violations
        ]

    def to_dict(self) -> dict[str, str]:
        return {
            "unplannedEvents": self.unplanned_events.value,
            "unplannedProperties": self.unplanned_properties.value,
            "invalid": self.invalid.value,
            "unplannedTraits": self.unplanned_traits.value,
            "invalidTraits": self.invalid_traits.value,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ConnectSettings:
        """ValueError naming a setting that is none of its values (the traits settings
        default: records written before they existed have none)."""
        return cls(
            UnplannedEvents(raw.get("unplannedEvents")),
            UnplannedProperties(raw.get("unplannedProperties")),
            Invalid(raw.get("invalid")),
            UnplannedProperties(raw.get("unplannedTraits", UnplannedProperties.KEEP.value)),
            Invalid(raw.get("invalidTraits", Invalid.ALLOW.value)),
        )


def quarantined(violations: Iterable[Violation]) -> bool:
    """Whether any of ``violations`` (decided) sends the event to quarantine."""
    return any(v.action is Action.QUARANTINED for v in violations)
