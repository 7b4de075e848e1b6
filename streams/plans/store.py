"""Tracking plans as GraphQL makes and reads them (``query.store.PlanStore``)."""

from __future__ import annotations

import asyncio

import time
from collections.abc import Mapping

from query.store import SchemaReader
from registry import ColumnState, SchemaKey, SchemaState
from registry.plans import ConnectSettings, PlanDifference, generate_rules, parse_rules, plan_diff
from registry.plans.book import Connect, PlanCommandError, PlanVersion, Publish, Upsert, check_name
from streams.plans.log import PlanLog


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class LoggedPlans:
    def __init__(self, log: PlanLog, schemas: SchemaReader) -> None:
        self._log = log
        self._schemas = schemas

    async def upsert(self, name: str, rules: object) -> PlanVersion:
        check_name(name)
        await self._log.append(Upsert(name, parse_rules(rules), _now_ms()))
        return self._latest(name)

    async def publish(self, name: str) -> PlanVersion:
        await self._log.append(Publish(name, _now_ms()))
        await self._log.hold(self._log.book.sources(name))
        return self._latest(name)

    async def connect(self, source: str, plan: str, settings: ConnectSettings) -> PlanVersion:
        if not source.strip():
            raise PlanCommandError("source", "must not be empty")
        await self._log.append(Connect(source, plan, settings, _now_ms()))
        await self._log.hold([source])
        in_force = self._log.book.in_force(source)
        assert in_force is not None
        return in_force[0]

    async def generate(self, source: str, name: str) -> PlanVersion:
        schemas = await self._inferred(source)
        if not schemas:
            raise PlanCommandError("source", f"{source!r} has sent nothing to plan from")
        return await self.upsert(name, generate_rules(schemas))

    def in_force(self, source: str) -> tuple[str, PlanVersion] | None:
        found = self._log.book.in_force(source)
        return None if found is None else (self._log.book.connections[source].plan, found[0])

    async def diff(self, source: str) -> list[PlanDifference]:
        in_force = self._log.book.in_force(source)
        if in_force is None:
            raise PlanCommandError("source", f"{source!r} is connected to no published plan")
        return plan_diff(in_force[0].rules, await self._inferred(source))

    async def _inferred(self, source: str) -> dict[SchemaKey, tuple[SchemaState, Mapping[str, ColumnState]]]:
        listed = await self._schemas.list_schemas(source)
        columns = await asyncio.gather(*(self._schemas.get_columns(key) for key, _ in listed))
        return {key: (state, found) for (key, state), found in zip(listed, columns)}

    def version(self, name: str, version: int | None = None) -> PlanVersion | None:
        return self._log.book.version(name, version)

    def sources(self, name: str) -> list[str]:
        return self._log.book.sources(name)

    def _latest(self, name: str) -> PlanVersion:
        found = self._log.book.version(name)
        assert found is not None
        return found
