"""The schema changes feed: newest first, paged, by source; new changes arrive live.

The page is the server's; `static/live.js` then subscribes to `schemaChanges` over
the node's own `graphql-transport-ws` WebSocket and puts each new change on top.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response


from query.domain.changes import decode_change_cursor, encode_change_cursor
from query.graphql.context import Context
from query.graphql.registry_reads import list_sources
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
        # Where this page starts among all the changes, newest first: a display only,
        # carried from the page before (the cursor alone says where to read).
        start = (params.integer("at") or 0) if before is not None else 0
        reader = self._context.schemas
        position = None if before is None else decode_change_cursor(before)
        # One more than the page: whether there are older ones, without counting.
        found = await reader.schema_changes(source, position, newest_first=True, limit=PAGE + 1)
        rows = found[:PAGE]
        return self._renderer.page(
            request,
            "changes.html",
            source=source,
            sources=[summary.name for summary in await list_sources(reader)],
            rows=rows,
            total=await reader.count_schema_changes(source),
            newer=before is not None,
            older=encode_change_cursor(rows[-1]) if len(found) > PAGE else None,
            older_at=start + len(rows),
            live=before is None,
            start=start,
        )
