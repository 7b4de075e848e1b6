"""Rendering pages: one Jinja2 environment, autoescaping everything, and its helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import jinja2
import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse

from query.web.params import schema_params, url
from registry import ChangeKind, ColumnState, ColumnType, SchemaKey

TEMPLATES: Final = Path(__file__).with_name("templates")
STATIC: Final = Path(__file__).with_name("static")

# The kinds of history entry an analyst should look at.
TROUBLE: Final = frozenset({ChangeKind.TYPE_CONFLICT, ChangeKind.VIOLATION})


def time_text(ms: int | None) -> str:
    """Epoch ms as `2026-11-20 10:00:01` (UTC, as every time on the pages)."""
    if ms is None:
        return ""
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return f"{ms} ms"


def iso(ms: int | None) -> str:
    """Epoch ms as RFC 3339 (for `<time datetime>` and the time fields)."""
    if ms is None:
        return ""
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return ""


def number(n: int) -> str:
    return f"{n:,}"


def json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # an integer past 64 bits
        return repr(value)


def schema_name(key: SchemaKey) -> str:
    """What a schema is called on a page: its event, else its type."""
    return key.type if key.event is None else key.event


def schema_url(key: SchemaKey, **extra: str | int | None) -> str:
    return url("/schema", **schema_params(key), **extra)


def column_url(key: SchemaKey, path: str) -> str:
    return url("/column", **schema_params(key), path=path)


def in_trouble(state: ColumnState) -> bool:
    """Whether a column had a type conflict or a violation."""
    return state.violations > 0 or any(c.kind in TROUBLE for c in state.history)


def type_class(t: ColumnType | str | None) -> str:
    return "t-none" if t is None else f"t-{ColumnType(t).value.lower()}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template is HTML: hostile text is always escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(time=time_text, iso=iso, number=number, json=json_text)
    env.globals.update(
        url=url,
        schema_url=schema_url,
        column_url=column_url,
        schema_name=schema_name,
        in_trouble=in_trouble,
        type_class=type_class,
        TROUBLE=TROUBLE,
    )
    return env


ENVIRONMENT: Final = _environment()


class Renderer:
    """Renders a template with what every page's frame needs."""

    def __init__(self, *, signed_in_needed: bool, graphiql: bool) -> None:
        self.signed_in_needed = signed_in_needed
        self.graphiql = graphiql

    def page(
        self, request: Request, template: str, *, status: int = 200, **values: Any
    ) -> HTMLResponse:
        frame = {
            "request_path": request.url.path,
            "sign_out": self.signed_in_needed,
            "graphiql": self.graphiql,
        }
        html = ENVIRONMENT.get_template(template).render({**frame, **values})
        return HTMLResponse(html, status_code=status)
