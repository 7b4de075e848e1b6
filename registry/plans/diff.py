"""How a source's plan and what it sends differ: ``planDiff``.

- ``PLANNED_NOT_SEEN``: a rule for an event the source has never sent;
- ``SEEN_NOT_PLANNED``: an inferred schema no rule is for;
- ``TYPE_DRIFT``: a column whose inferred type the rule's declared ``type`` does not
  allow (an INTEGER column under ``number`` is no drift; a TIMESTAMP is a ``string``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from registry.column import ColumnState
from registry.key import SchemaKey
from registry.paths import child_path, escape_key
from registry.plans.rules import Rule
from registry.schema import SchemaState
from registry.types import ColumnType

_ALLOWED: Final = {
    ColumnType.BOOLEAN: {"boolean"},
    ColumnType.INTEGER: {"integer", "number"},
    ColumnType.NUMBER: {"number"},
    ColumnType.STRING: {"string"},
    ColumnType.TIMESTAMP: {"string"},
    ColumnType.ARRAY: {"array"},
    ColumnType.OBJECT: {"object"},
    ColumnType.NULL: {"null"},
    ColumnType.JSON: set(),  # mixed kinds: only an open schema allows it
}
_NAMED: Final = ("track",)


class PlanDiffKind(str, enum.Enum):
    PLANNED_NOT_SEEN = "PLANNED_NOT_SEEN"
    SEEN_NOT_PLANNED = "SEEN_NOT_PLANNED"
    TYPE_DRIFT = "TYPE_DRIFT"


@dataclass(frozen=True, slots=True)
class PlanDifference:
    kind: PlanDiffKind
    type: str  # the call, as rules name it (TRACK, IDENTIFY...)
    event: str | None
    path: str | None = None  # a column path, for TYPE_DRIFT
    planned: str | None = None  # the declared JSON type(s)
    seen: ColumnType | None = None


def plan_diff(
    rules: Sequence[Rule], schemas: Mapping[SchemaKey, tuple[SchemaState, Mapping[str, ColumnState]]]
) -> list[PlanDifference]:
    """The differences between ``rules`` (a plan version's) and one source's ``schemas``."""
    latest: dict[tuple[str, str | None], Rule] = {}
    for rule in rules:
        if rule.type == "COMMON":
            continue
        key = (rule.type.lower(), rule.key if rule.type.lower() in _NAMED else None)
        if key not in latest or rule.version > latest[key].version:
            latest[key] = rule
    seen = {(k.type, k.event if k.type in _NAMED else None): k for k in schemas if k.type != "alias"}
    found: list[PlanDifference] = []
    for (call, event), rule in sorted(latest.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        schema_key = seen.get((call, event))
        if schema_key is None:
            found.append(PlanDifference(PlanDiffKind.PLANNED_NOT_SEEN, call.upper(), event))
            continue
        columns = schemas[schema_key][1]
        for path, declared in _declared(rule.json_schema):
            column = columns.get(path)
            if column is not None and not (_ALLOWED[column.type] & declared):
                found.append(
                    PlanDifference(
                        PlanDiffKind.TYPE_DRIFT, call.upper(), event, path, ", ".join(sorted(declared)), column.type
                    )
                )
    for (call, event) in sorted(set(seen) - set(latest), key=lambda k: (k[0], k[1] or "")):
        found.append(PlanDifference(PlanDiffKind.SEEN_NOT_PLANNED, call.upper(), event))
    return found


def _declared(schema: Mapping[str, Any], path: str = "") -> Iterator[tuple[str, set[str]]]:
    """Each property's column path and the JSON types its schema declares (those
    with a ``type``), from the rule's root: ``properties.total`` for a track's total."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    for name, sub in properties.items():
        if not isinstance(sub, Mapping):
            continue
        here = child_path(path, escape_key(str(name)))
        declared = sub.get("type")
        if path and isinstance(declared, str):
            yield here, {declared}
        elif path and isinstance(declared, list):
            yield here, {t for t in declared if isinstance(t, str)}
        yield from _declared(sub, here)
