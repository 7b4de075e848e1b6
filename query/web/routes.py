"""The analyst's pages as Starlette routes, for the node to mount beside GraphQL.

Every page answers through `_page`: it asks for a sign-in when the node needs a token,
turns the read side's expected errors into 400 and 404 pages, and sends the security
headers (`query.web.security`) with every answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from query.domain import DomainError
from query.graphql.context import Context
from query.store import QueryError, UnavailableReadError
from query.web.changes_page import ChangesPage
from query.web.params import NotFoundError, url
from query.web.profile_page import ProfilePage
from query.web.registry_pages import RegistryPages
from query.web.render import STATIC, Renderer
from query.web.security import Authorizer, Secured, security_headers, session_authorization
from query.web.signin import SignIn

logger = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]


def build_web_routes(context: Context, authorizer: Authorizer, *, graphiql: bool) -> list[BaseRoute]:
    """The pages on `/`, `/schemas`, `/schema`, `/schema.json`, `/column`, `/changes`,
    `/profiles`, `/signin`, `/signout` and their files on `/static`.

    They read through `context`'s readers, as the resolvers do, and
    let in whoever holds a token `authorizer` accepts (everyone, in dev). `graphiql`
    says whether to link to GraphiQL.
    """
    sign_in = SignIn(authorizer, Renderer(signed_in_needed=False, graphiql=graphiql))
    renderer = Renderer(signed_in_needed=sign_in.needed, graphiql=graphiql)
    registry = RegistryPages(context, renderer)
    changes = ChangesPage(context, renderer)
    profiles = ProfilePage(context, renderer)

    def page(handler: Handler, *, public: bool = False) -> Handler:
        async def endpoint(request: Request) -> Response:
            if not public:
                refusal = authorizer.refusal(session_authorization(request.cookies))
                if refusal is not None:
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    response: Response = RedirectResponse(url("/signin", next=target), status_code=303)
                    return _secured(response)
            try:
                response = await handler(request)
            except NotFoundError as e:
                response = renderer.page(request, "error.html", status=404, title="Not found", message=str(e))
            except UnavailableReadError as e:
                response = renderer.page(
                    request, "error.html", status=503, title="Not available right now", message=str(e)
                )
                response.headers["Retry-After"] = str(e.retry_after)
            except (QueryError, DomainError) as e:
                # Both say only what the caller sent wrong: safe to show.
                response = renderer.page(request, "error.html", status=400, title="Cannot show that", message=str(e))
            except Exception:
                logger.exception("unexpected error on %s", request.url.path)
                response = renderer.page(
                    request, "error.html", status=500, title="Unexpected error",
                    message="The node could not answer; its log says why.",
                )
            return _secured(response)

        return endpoint

    return [
        Route("/", page(registry.sources), methods=["GET"]),
        Route("/schemas", page(registry.schemas), methods=["GET"]),
        Route("/schema", page(registry.schema), methods=["GET"]),
        Route("/schema.json", page(registry.json_schema), methods=["GET"]),
        Route("/column", page(registry.column), methods=["GET"]),
        Route("/changes", page(changes.changes), methods=["GET"]),
        Route("/profiles", page(profiles.profile), methods=["GET"]),
        Route("/signin", page(sign_in.signin, public=True), methods=["GET", "POST"]),
        Route("/signout", page(sign_in.signout, public=True), methods=["POST"]),
        Mount("/static", app=Secured(StaticFiles(directory=STATIC)), name="static"),
    ]


def _secured(response: Response) -> Response:
    response.headers.update(security_headers())
    # Pages hold what a token guards: never kept by a shared cache.
    response.headers.setdefault("Cache-Control", "private, no-cache")
    return response
