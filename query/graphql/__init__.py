"""The GraphQL API (Strawberry): ``schema`` is served on ``/graphql``."""

from query.graphql.context import Context
from query.graphql.schema import schema

__all__ = ["Context", "schema"]
