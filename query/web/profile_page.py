"""Profile lookup: any identifier to its profile, traits, merges and timeline.

Read through the `ProfileReader` with the functions the GraphQL resolvers call
(`find_profile`, `profile_state`, `read_timeline`).
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from query.domain import TimelineFilter
from query.graphql.context import Context
from query.graphql.profile_reads import find_profile, profile_state, read_timeline
from query.web.params import BadParameterError, NotFoundError, Params
from query.web.render import Renderer
from schemas import EventType

PAGE: Final = 50
ID_TYPES: Final = ("user_id", "anonymous_id", "email")


class ProfilePage:
    def __init__(self, context: Context, renderer: Renderer) -> None:
        self._context = context
        self._renderer = renderer

    async def profile(self, request: Request) -> Response:
        params = Params(request.query_params, _multi(request))
        value = params.words("id")
        id_type = params.words("id_type")
        form: dict[str, Any] = {"id": value or "", "id_type": id_type or "", "id_types": ID_TYPES}
        if value is None:
            return self._renderer.page(request, "profile.html", found=None, **form)
        reader = self._context.profiles
        found = await find_profile(reader, value, id_type)
        if found is None:
            raise NotFoundError(f"a profile of {value!r}" + (f" ({id_type})" if id_type else ""))
        types = [_event_type(t) for t in params.all("types")]
        events = sorted({e.strip() for e in (params.words("events") or "").split(",") if e.strip()})
        from_ms, to_ms = params.time_ms("from"), params.time_ms("to")
        filters = TimelineFilter(
            events=frozenset(events) if events else None,
            types=frozenset(types) if types else None,
            from_ms=from_ms,
            to_ms=to_ms,
        )
        after = params.words("after")
        # In turn, not gathered: see streams.pacing.
        page = await read_timeline(reader, found.members, PAGE, after, filters)
        state = await profile_state(reader, found.members)
        return self._renderer.page(
            request,
            "profile.html",
            found=found,
            state=state,
            traits=[] if state is None else sorted(state.traits.items()),
            page=page,
            after=after,
            all_types=[t.value for t in EventType],
            types=[t.value for t in types],
            events=", ".join(events),
            from_ms=from_ms,
            to_ms=to_ms,
            **form,
        )


def _multi(request: Request) -> dict[str, list[str]]:
    return {"types": request.query_params.getlist("types")}


def _event_type(value: str) -> EventType:
    try:
        return EventType(value.lower())
    except ValueError:
        raise BadParameterError("types", f"not a call type: {value[:40]!r}") from None
