"""A plan's rules as a team pastes them: Segment's tracking-plan export shape.

    {"type": "TRACK" | "IDENTIFY" | "GROUP" | "PAGE" | "SCREEN" | "COMMON",
     "key": <event name, or null>, "version": 1, "jsonSchema": {...}}

A TRACK rule's ``key`` is the event name (case-sensitive); the other types' is null (or
a page or screen name). ``COMMON`` applies to every event. Each rule's JSON Schema
describes the event's sections: ``{"properties": {"properties": {...}, "context":
{...}, "traits": {...}}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from registry.errors import RegistryError

RULE_TYPES: Final = ("TRACK", "IDENTIFY", "GROUP", "PAGE", "SCREEN", "COMMON")


class InvalidPlanError(RegistryError):
    """A plan refused: ``rule`` is the index of the rule at fault (None for the list),
    ``pointer`` a JSON pointer into it, ``detail`` says what is wrong."""

    def __init__(self, rule: int | None, pointer: str, detail: str) -> None:
        where = "rules" if rule is None else f"rules[{rule}]"
        super().__init__(f"{where}{pointer}: {detail}")
        self.rule = rule
        self.pointer = pointer
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Rule:
    type: str
    key: str | None
    version: int
    json_schema: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "key": self.key, "version": self.version, "jsonSchema": self.json_schema}


def parse_rules(rules: object) -> tuple[Rule, ...]:
    """The rules of ``rules`` (a decoded JSON list); InvalidPlanError naming the first
    one at fault. Two rules for the same (type, key, version) are refused."""
    if not isinstance(rules, list):
        raise InvalidPlanError(None, "", "expected a list of rules")
    parsed: list[Rule] = []
    seen: dict[tuple[str, str | None, int], int] = {}
    for index, raw in enumerate(rules):
        rule = _rule(index, raw)
        identity = (rule.type, rule.key, rule.version)
        if identity in seen:
            raise InvalidPlanError(
                index, "", f"the same type, key and version as rules[{seen[identity]}] ({rule.type} {rule.key!r} v{rule.version})"
            )
        seen[identity] = index
        parsed.append(rule)
    return tuple(parsed)


def _rule(index: int, raw: object) -> Rule:
    if not isinstance(raw, dict):
        raise InvalidPlanError(index, "", "expected an object with type, key, version and jsonSchema")
    kind = raw.get("type")
    if not isinstance(kind, str) or kind.upper() not in RULE_TYPES:
        raise InvalidPlanError(index, "/type", f"expected one of {', '.join(RULE_TYPES)}, got {kind!r}")
    kind = kind.upper()
    key = raw.get("key")
    if key is not None and (not isinstance(key, str) or not key):
        raise InvalidPlanError(index, "/key", f"expected an event name or null, got {key!r}")
    if kind == "TRACK" and key is None:
        raise InvalidPlanError(index, "/key", "a TRACK rule names its event")
    version = raw.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidPlanError(index, "/version", f"expected a whole number from 1, got {version!r}")
    schema = raw.get("jsonSchema")
    if not isinstance(schema, dict):
        raise InvalidPlanError(index, "/jsonSchema", "expected a JSON Schema object")
    return Rule(kind, key, version, schema)
