"""The analyst's web page: server-rendered Jinja2 through Starlette, on `/`.

Sources, a source's schemas, one schema (as of any version or time, diffs between
versions, its JSON Schema), one column's history, the live feed of schema changes,
and profile lookup. It reads through the same query layer as GraphQL and imports no
Faust, Kafka or RocksDB: the node mounts `build_web_routes`.
"""

from query.web.graphiql import graphiql_response
from query.web.routes import build_web_routes
from query.web.security import SESSION_COOKIE, Authorizer, session_authorization

__all__ = ["SESSION_COOKIE", "Authorizer", "build_web_routes", "graphiql_response", "session_authorization"]
