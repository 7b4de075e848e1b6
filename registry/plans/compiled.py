"""A plan's rules compiled once, and the check of one event against them.

Each rule's JSON Schema is compiled by ``jsonschema_rs`` in the draft its ``$schema``
names (draft-07 and 2020-12 alike; 2020-12 when it names none), with formats checked
and nothing fetched: a ``$ref`` to another document is refused when the plan is made.

An event is checked against the rule for its call (a TRACK rule by its event name,
case-sensitive; a PAGE or SCREEN rule by its name, else the type's unnamed rule; an
IDENTIFY or GROUP rule by its type), in the version ``context.protocols.event_version``
asks for, else the highest; and against the latest COMMON rule. An event no rule is for
is an UNPLANNED_EVENT. Alias calls are not validated (no rule type names them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from registry.infer import infer_type
from registry.plans.rules import InvalidPlanError, Rule
from registry.plans.violations import KEYWORDS, Violation, ViolationType
from registry.types import ColumnType

_BY_NAME = ("PAGE", "SCREEN")


def _refuse(uri: str) -> Any:
    raise ValueError(f"a plan's schemas may not refer to other documents ({uri})")


def _compile(index: int, rule: Rule) -> jsonschema_rs.Validator:
    try:
        return jsonschema_rs.validator_for(
            _normalised(dict(rule.json_schema)), validate_formats=True, retriever=_refuse
        )
    except jsonschema_rs.ValidationError as exc:  # the schema is no valid schema of its draft
        raise InvalidPlanError(index, "/jsonSchema" + pointer(exc.instance_path), _first_line(exc.message)) from None
    except (ValueError, TypeError) as exc:
        raise InvalidPlanError(index, "/jsonSchema", _first_line(str(exc))) from None


_VALUES = frozenset({"enum", "const", "default", "examples"})  # data, not schemas


def _normalised(schema: Any) -> Any:
    """``schema`` with ``"properties": {}`` beside each ``"additionalProperties": false``
    that has none: jsonschema-rs then names every unexpected property (without it, it
    reports the first one's value, at its parent, as a false schema)."""
    if isinstance(schema, list):
        return [_normalised(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    found = {k: (v if k in _VALUES else _normalised(v)) for k, v in schema.items()}
    if found.get("additionalProperties") is False and "properties" not in found and "patternProperties" not in found:
        found["properties"] = {}
    return found


@dataclass
class CompiledPlan:
    """The rules of one plan version, compiled, by (type, key), each by its version."""

    rules: dict[tuple[str, str | None], dict[int, jsonschema_rs.Validator]] = field(default_factory=dict)

    def check(
        self, call: str, name: str | None, sections: Mapping[str, Any], event_version: int | None = None
    ) -> list[Violation]:
        """The violations of an event (``call``: its Segment type, lowercase; ``name``: a
        track's event or a page's or screen's name; ``sections``: its properties, traits
        and context)."""
        kind = call.upper()
        if kind == "ALIAS":
            return []
        versions = self._versions(kind, name)
        if versions is None:
            what = f"{kind} {name!r}" if kind == "TRACK" or name else kind
            return [Violation(ViolationType.UNPLANNED_EVENT, "", f"a rule for {what}")]
        if event_version is not None and event_version not in versions:
            return [Violation(ViolationType.UNPLANNED_EVENT, "", f"version {event_version} of the rule")]
        validator = versions[event_version if event_version is not None else max(versions)]
        found = _violations(validator, sections)
        common = self.rules.get(("COMMON", None))
        if common:
            found += _violations(common[max(common)], sections)
        return found

    def _versions(self, kind: str, name: str | None) -> dict[int, jsonschema_rs.Validator] | None:
        if kind == "TRACK":
            return self.rules.get((kind, name))
        if kind in _BY_NAME and name is not None and (kind, name) in self.rules:
            return self.rules[kind, name]
        return self.rules.get((kind, None))


def compile_plan(rules: Sequence[Rule]) -> CompiledPlan:
    """``rules`` compiled; InvalidPlanError naming the rule and the JSON pointer into it
    where one is no valid JSON Schema."""
    plan = CompiledPlan()
    for index, rule in enumerate(rules):
        key = (rule.type, rule.key if rule.type == "TRACK" or rule.type in _BY_NAME else None)
        plan.rules.setdefault(key, {})[rule.version] = _compile(index, rule)
    return plan


def _violations(validator: jsonschema_rs.Validator, sections: Mapping[str, Any]) -> list[Violation]:
    instance = dict(sections)
    if validator.is_valid(instance):  # most events: no error objects made
        return []
    found: list[Violation] = []
    for error in validator.iter_errors(instance):
        kind = error.kind
        keyword = kind.name
        where = list(error.instance_path)
        violation = KEYWORDS.get(keyword, ViolationType.OTHER)
        if violation is ViolationType.UNPLANNED_PROPERTY:
            for unexpected in getattr(kind, "unexpected", ()):
                value = _at(instance, [*where, unexpected])
                found.append(Violation(violation, pointer([*where, unexpected]), "no such property", _type(value)))
        elif violation is ViolationType.REQUIRED_MISSING:
            found.append(Violation(violation, pointer([*where, str(getattr(kind, "property", ""))]), "required", None))
        else:
            found.append(Violation(violation, pointer(where), _expected(error.schema_path, keyword, kind), _type(_at(instance, where))))
    return found


def _expected(schema_path: Sequence[str | int], keyword: str, kind: Any) -> str:
    detail = kind.as_dict() if hasattr(kind, "as_dict") else {}
    for name in ("types", "options", "expected_value", "pattern", "format"):
        if name in detail:
            value = detail[name]
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            return f"{keyword}: {shown}"
    return keyword


_MISSING = object()


def _at(instance: Any, where: Sequence[str | int]) -> Any:
    for step in where:
        try:
            instance = instance[step]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return instance


def _type(value: Any) -> ColumnType | None:
    if value is _MISSING:
        return None
    try:
        return infer_type(value)
    except Exception:  # a value no JSON type describes is no type of ours
        return None


def pointer(steps: Sequence[str | int]) -> str:
    """The JSON pointer (RFC 6901) of ``steps``."""
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in steps)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
