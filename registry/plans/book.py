"""Every tracking plan, its versions and the sources connected to it: the fold of the
plan commands on the log.

``upsert`` makes a new draft version (or replaces the draft, if the latest version is
one); ``publish`` freezes the latest draft; a published version never changes again.
``connect`` ties a source to a plan, with its settings (``violations.ConnectSettings``),
and the source is then held to the plan's latest published version. The same commands
in the same order give the same book, so a rebuild and every node agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from registry.errors import RegistryError
from registry.plans.compiled import compile_plan
from registry.plans.rules import Rule, parse_rules
from registry.plans.violations import ConnectSettings

MAX_NAME: Final = 200


class PlanCommandError(RegistryError):
    """A plan command refused: ``field`` names the argument at fault."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"invalid argument {field!r}: {detail}")
        self.field = field
        self.detail = detail


@dataclass(frozen=True, slots=True)
class PlanVersion:
    version: int
    rules: tuple[Rule, ...]
    published: bool
    at_ms: int


@dataclass(frozen=True, slots=True)
class Upsert:
    name: str
    rules: tuple[Rule, ...]
    at_ms: int


@dataclass(frozen=True, slots=True)
class Publish:
    name: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class Connect:
    source: str
    plan: str
    settings: ConnectSettings
    at_ms: int


PlanCommand = Upsert | Publish | Connect


@dataclass
class PlanBook:
    plans: dict[str, list[PlanVersion]] = field(default_factory=dict)
    connections: dict[str, Connect] = field(default_factory=dict)

    def check(self, command: PlanCommand) -> None:
        """Raise PlanCommandError (or InvalidPlanError for the rules) if ``command``
        cannot apply to this book; ``apply`` then changes nothing."""
        if isinstance(command, Upsert):
            check_name(command.name)
            compile_plan(command.rules)
        elif isinstance(command, Publish):
            versions = self.plans.get(command.name)
            if not versions:
                raise PlanCommandError("name", f"there is no tracking plan {command.name!r}")
            if versions[-1].published:
                raise PlanCommandError("name", f"{command.name!r} has no draft: version {versions[-1].version} is published")
        else:
            versions = self.plans.get(command.plan)
            if not versions:
                raise PlanCommandError("plan", f"there is no tracking plan {command.plan!r}")
            if not any(v.published for v in versions):
                raise PlanCommandError("plan", f"{command.plan!r} has no published version yet")

    def apply(self, command: PlanCommand) -> bool:
        """Fold ``command``; False (and nothing changed) if it cannot apply."""
        try:
            self.check(command)
        except RegistryError:
            return False
        if isinstance(command, Upsert):
            versions = self.plans.setdefault(command.name, [])
            if versions and not versions[-1].published:
                versions[-1] = replace(versions[-1], rules=command.rules, at_ms=command.at_ms)
            else:
                versions.append(PlanVersion(len(versions) + 1, command.rules, False, command.at_ms))
        elif isinstance(command, Publish):
            versions = self.plans[command.name]
            versions[-1] = replace(versions[-1], published=True, at_ms=command.at_ms)
        else:
            self.connections[command.source] = command
        return True

    def version(self, name: str, version: int | None = None) -> PlanVersion | None:
        """A version of plan ``name`` (its latest, draft or not, when None)."""
        versions = self.plans.get(name)
        if not versions:
            return None
        if version is None:
            return versions[-1]
        return versions[version - 1] if 1 <= version <= len(versions) else None

    def in_force(self, source: str) -> tuple[PlanVersion, ConnectSettings] | None:
        """The published version ``source`` is held to, and how, if it is connected."""
        connection = self.connections.get(source)
        if connection is None:
            return None
        published = [v for v in self.plans.get(connection.plan, ()) if v.published]
        return (published[-1], connection.settings) if published else None

    def sources(self, name: str) -> list[str]:
        return sorted(s for s, c in self.connections.items() if c.plan == name)


def check_name(name: str) -> None:
    if not name.strip():
        raise PlanCommandError("name", "must not be empty")
    if len(name) > MAX_NAME:
        raise PlanCommandError("name", f"must be at most {MAX_NAME} characters")


def command_to_dict(command: PlanCommand) -> dict[str, Any]:
    if isinstance(command, Upsert):
        return {"kind": "upsert", "name": command.name, "rules": [r.to_dict() for r in command.rules], "at": command.at_ms}
    if isinstance(command, Publish):
        return {"kind": "publish", "name": command.name, "at": command.at_ms}
    return {
        "kind": "connect",
        "source": command.source,
        "plan": command.plan,
        **command.settings.to_dict(),
        "at": command.at_ms,
    }


def command_from_dict(raw: Mapping[str, Any]) -> PlanCommand:
    """The command ``raw`` holds; ValueError (or a RegistryError) naming what is wrong."""
    kind, at = raw.get("kind"), raw.get("at")
    if not isinstance(at, int):
        raise ValueError("at: expected a time in milliseconds")
    if kind == "upsert":
        return Upsert(_str(raw, "name"), parse_rules(raw.get("rules")), at)
    if kind == "publish":
        return Publish(_str(raw, "name"), at)
    if kind == "connect":
        return Connect(_str(raw, "source"), _str(raw, "plan"), ConnectSettings.from_dict(raw), at)
    raise ValueError(f"kind: expected upsert, publish or connect, got {kind!r}")


def _str(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected a string")
    return value
