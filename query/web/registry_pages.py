"""The schema registry's pages: sources, a source's schemas, one schema, one column.

Everything is read through the `SchemaReader` and the functions the GraphQL resolvers
call (`query.graphql.registry_reads`, `registry.columns_as_of`, `registry.diff`,
`registry.to_json_schema`, the store's schema-change index).
"""

from __future__ import annotations

import re
from urllib.parse import quote
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from query.graphql.context import Context
from query.graphql.registry_reads import summarise_sources, type_counts
from query.web.params import NotFoundError, Params
from query.web.render import Renderer, column_url, in_trouble, iso, schema_name
from registry import (
    ColumnState,
    ColumnType,
    SchemaKey,
    SchemaState,
    TypeChange,
    columns_as_of,
    diff,
    to_json_schema,
)

# The latest changes the sources page shows.
LATEST: Final = 8
# Rows of a source's schemas table per page: 1,000 rows took ~20 ms to build and render.
SCHEMAS_PAGE: Final = 200

# How the schemas table sorts: by name unless a column heading was clicked.
_SORTS: Final[dict[str, Callable[[tuple[SchemaKey, SchemaState]], Any]]] = {
    "name": lambda item: (schema_name(item[0]).casefold(), item[0].type, item[0].event or ""),
    "type": lambda item: (item[0].type, schema_name(item[0]).casefold()),
    "version": lambda item: -item[1].version,
    "events": lambda item: -item[1].event_count,
    "last_seen": lambda item: -item[1].last_seen_ms,
    "columns": lambda item: -len(item[1].columns),
    "trouble": lambda item: (-(item[1].conflicts + item[1].violations), schema_name(item[0]).casefold()),
}


@dataclass(frozen=True, slots=True)
class ColumnRow:
    """One row of a schema's columns table; `type` is the type as of the view's point."""

    path: str
    state: ColumnState
    type: ColumnType
    type_counts: list[tuple[ColumnType, int]]
    trouble: bool


class RegistryPages:
    def __init__(self, context: Context, renderer: Renderer) -> None:
        self._context = context
        self._renderer = renderer

    async def sources(self, request: Request) -> Response:
        reader = self._context.schemas
        # In turn, not gathered: see streams.pacing.
        latest, listed = await reader.schema_changes(newest_first=True, limit=LATEST), await reader.list_schemas()
        return self._renderer.page(request, "sources.html", sources=summarise_sources(listed), latest=latest)

    async def schemas(self, request: Request) -> Response:
        params = Params(request.query_params)
        source = params.required("source")
        listed = await self._context.schemas.list_schemas(source)
        if not listed:
            raise NotFoundError(f"source {source!r}")
        query = params.words("q")
        only_trouble = params.words("trouble") is not None
        sort = params.words("sort") or "name"
        chosen = [
            (key, state)
            for key, state in listed
            if (not only_trouble or state.conflicts or state.violations)
            and (query is None or _hits(key, state, query) is not None)
        ]
        chosen.sort(key=_SORTS.get(sort, _SORTS["name"]))
        pages = max(1, -(-len(chosen) // SCHEMAS_PAGE))
        page = params.integer("page", low=1, high=pages) or 1
        start = (page - 1) * SCHEMAS_PAGE
        rows = _schema_rows(source, chosen[start : start + SCHEMAS_PAGE], query)
        plan = self._context.plans.in_force(source)
        return self._renderer.page(
            request,
            "schemas.html",
            source=source,
            rows=rows,
            total=len(listed),
            q=query or "",
            trouble=only_trouble,
            sort=sort if sort in _SORTS else "name",
            matched=len(chosen),
            start=start,
            page=page,
            pages=pages,
            events=sum(state.event_count for _, state in listed),
            plan=plan,
            plan_diff=await self._context.plans.diff(source) if plan is not None else [],
            violations=await self._context.violations.summary(source),
        )

    async def schema(self, request: Request) -> Response:
        params = Params(request.query_params)
        key = params.schema()
        state, columns = await self._context.schemas.get_schema(key), await self._context.schemas.get_columns(key)
        if state is None:
            raise NotFoundError(f"schema {schema_name(key)!r} of {key.source!r}")
        version = params.integer("version", high=state.version)
        time_ms = params.time_ms("time")
        as_of = version is not None or time_ms is not None
        then = columns_as_of(columns, version=version, time_ms=time_ms) if as_of else None
        rows = [
            ColumnRow(path, column, column.type if then is None else then[path].type, type_counts(column), in_trouble(column))
            for path, column in columns.items()
            if then is None or path in then
        ]
        if params.words("trouble") is not None:
            rows = [row for row in rows if row.trouble]
        diff_from = params.integer("from", high=state.version)
        diff_to = params.integer("to", high=state.version)
        diffs = None
        if diff_from is not None or diff_to is not None:
            diff_from = max(state.version - 1, 0) if diff_from is None else diff_from
            diff_to = state.version if diff_to is None else diff_to
            diffs = diff(columns, diff_from, diff_to)
        return self._renderer.page(
            request,
            "schema.html",
            key=key,
            state=state,
            rows=rows,
            column_count=len(columns),
            trouble_count=sum(1 for c in columns.values() if in_trouble(c)),
            versions=_versions(columns),
            as_of=as_of,
            version=version,
            time_ms=time_ms,
            only_trouble=params.words("trouble") is not None,
            diffs=diffs,
            diff_from=diff_from,
            diff_to=diff_to,
        )

    async def json_schema(self, request: Request) -> Response:
        key = Params(request.query_params).schema()
        if await self._context.schemas.get_schema(key) is None:
            raise NotFoundError(f"schema {schema_name(key)!r} of {key.source!r}")
        document = to_json_schema(key, await self._context.schemas.get_columns(key))
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{key.source}-{key.type}-{schema_name(key)}")[:100]
        return JSONResponse(
            document,
            headers={"Content-Disposition": f'attachment; filename="{name}.schema.json"'},
        )

    async def column(self, request: Request) -> Response:
        params = Params(request.query_params)
        key = params.schema()
        path = params.required("path")
        state, columns = await self._context.schemas.get_schema(key), await self._context.schemas.get_columns(key)
        column = None if state is None else columns.get(path)
        if state is None or column is None:
            raise NotFoundError(f"column {path!r} of {schema_name(key)!r}")
        return self._renderer.page(
            request,
            "column.html",
            key=key,
            state=state,
            path=path,
            column=column,
            type_counts=type_counts(column),
            trouble=in_trouble(column),
        )


@dataclass(frozen=True, slots=True)
class SchemaRow:
    """One row of a source's schemas table, its links and times made once here: a
    source of 1,000 schemas renders 1,000 rows, and a macro call or `urlencode` per
    cell made that page 30 ms of template work."""

    type: str
    name: str
    href: str
    version: int
    event_count: int
    last_seen: str
    last_seen_iso: str
    columns: int
    conflicts: int
    violations: int
    hits: list[tuple[str, str]]


def _schema_rows(source: str, chosen: list[tuple[SchemaKey, SchemaState]], query: str | None) -> list[SchemaRow]:
    base = f"/schema?source={quote(source, safe='')}&type="
    rows = []
    for key, state in chosen:
        seen = iso(state.last_seen_ms)
        href = base + key.type + ("" if key.event is None else "&event=" + quote(key.event, safe=""))
        rows.append(
            SchemaRow(
                type=key.type,
                name=schema_name(key),
                href=href,
                version=state.version,
                event_count=state.event_count,
                last_seen=seen.replace("T", " "),
                last_seen_iso=seen,
                columns=len(state.columns),
                conflicts=state.conflicts,
                violations=state.violations,
                hits=[(p, column_url(key, p)) for p in _hits(key, state, query) or []],
            )
        )
    return rows


# Matching column paths a row of the schemas table names.
_HITS_SHOWN: Final = 3


def _hits(key: SchemaKey, state: SchemaState, query: str | None) -> list[str] | None:
    """None when neither the schema's name nor a column path contains `query` (any
    case); else the first few matching paths (none when the name matched)."""
    if query is None:
        return []
    needle = query.casefold()
    if needle in schema_name(key).casefold():
        return []
    paths = [p for p in state.columns if needle in p.casefold()]
    return paths[:_HITS_SHOWN] if paths else None


def _versions(columns: dict[str, ColumnState]) -> list[tuple[int, str, TypeChange]]:
    """Every version of the schema with the change that made it, newest first."""
    made = [(c.version, path, c) for path, column in columns.items() for c in column.history]
    made.sort(key=lambda item: item[0], reverse=True)
    return made
