"""GraphiQL, served by the node itself: no CDN, and no inline script.

Its browser files (React, ReactDOM, GraphiQL and its explorer plugin) are fetched from
the npm registry at install time, pinned and checksummed (`vendor.lock`, the
Makefile's `vendor` step), into `static/vendor/`; `static/graphiql.js` starts it.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from query.web.render import ENVIRONMENT, STATIC
from query.web.security import GRAPHIQL_CONTENT_SECURITY_POLICY, security_headers

VENDOR: Final = STATIC / "vendor"
FILES: Final = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql.min.css",
    "plugin-explorer.umd.js",
    "plugin-explorer.css",
)


def missing_files() -> list[str]:
    """The GraphiQL files not installed (run `make install`)."""
    return [name for name in FILES if not (VENDOR / name).is_file()]


def graphiql_response(request: Request) -> Response:
    """The GraphiQL page, or a 503 page naming what to install when its files are missing."""
    headers = {**security_headers(GRAPHIQL_CONTENT_SECURITY_POLICY), "Cache-Control": "no-cache"}
    missing = missing_files()
    if missing:
        html = ENVIRONMENT.get_template("error.html").render(
            request_path=request.url.path,
            sign_out=False,
            graphiql=True,
            title="GraphiQL is not installed",
            message=(
                f"Its browser files are missing from {VENDOR} ({', '.join(missing)}): "
                "run `make install`, which fetches them from the npm registry."
            ),
        )
        return HTMLResponse(html, status_code=503, headers=headers)
    html = ENVIRONMENT.get_template("graphiql.html").render()
    return HTMLResponse(html, headers=headers)
