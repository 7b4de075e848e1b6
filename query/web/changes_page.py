"""The schema changes feed: newest first, paged, by source; new changes arrive live.

The page is the server's; `static/live.js` then subscribes to `schemaChanges` over
the node's own `graphql-transport-ws` WebSocket and puts each new change on top.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from query.graphql.change_log import encode_cursor, page_before
from query.graphql.context import Context
from query.web.params import Params
from query.web.render import Renderer

PAGE: Final = 50


class ChangesPage:
    def __init__(self, context: Context, renderer: Renderer) -> None:
        self._context = context
        self._renderer = renderer

    async def changes(self, request: Request) -> Response:
        params = Params(request.query_params)
        source = params.words("source")
        before = params.words("before")
        reader = self._context.schemas
        listed = reader.list_schemas()
        page = page_before(self._context.change_log.changes(reader, source, listed), PAGE, before)
        rows = list(reversed(page.changes))
        return self._renderer.page(
            request,
            "changes.html",
            source=source,
            sources=sorted({key.source for key, _ in listed}),
            rows=rows,
            total=page.total,
            newer=before is not None,
            older=encode_cursor(page.changes[0]) if page.before > 0 else None,
            live=before is None,
            start=page.total - page.before - len(page.changes),
        )
