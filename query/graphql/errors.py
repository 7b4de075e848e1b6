"""How failures reach a GraphQL client: one place decides what a caller may read.

A `QueryError` (query.store) is an expected failure whose message is safe to show, so
it becomes a GraphQL error carrying that message; so do the query core's errors about
what a caller sent (`CALLER_ERRORS`: a bad cursor, a page too large). GraphQL's own
errors (a malformed query, a wrong argument type) are shown as they are. Anything else
is a bug or an outage: it is logged with its traceback and the client sees only
"Unexpected error.". That includes the core's errors about stored data (a record or a
key that does not decode), which no request can cause or fix.
"""

from __future__ import annotations

from graphql import GraphQLError

from query.domain import InvalidCursorError, PageSizeError
from query.domain.regulations import InvalidRegulationError
from query.store import QueryError
from registry.plans import InvalidPlanError
from registry.plans.book import PlanCommandError

# The query core's errors that describe a request, not the store.
CALLER_ERRORS = (InvalidCursorError, PageSizeError, InvalidRegulationError, InvalidPlanError, PlanCommandError)


class InvalidArgumentError(QueryError):
    """An argument the API refuses: `argument` names it, `reason` says why."""

    def __init__(self, argument: str, reason: str) -> None:
        super().__init__(f"invalid argument {argument!r}: {reason}")
        self.argument = argument
        self.reason = reason


def is_unexpected(error: GraphQLError) -> bool:
    """Whether `error` came from a resolver failing in a way no caller should read."""
    original = error.original_error
    return original is not None and not isinstance(
        original, (QueryError, GraphQLError, *CALLER_ERRORS)
    )
