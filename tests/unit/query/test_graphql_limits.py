"""Per-operation limits of the schema a node serves."""

from __future__ import annotations

from query.graphql.schema import Limits, build_schema
from tests.unit.query.fakes import execute_sync, context


def _errors(limits: Limits, query: str) -> list[str]:
    result = execute_sync(build_schema(limits), query, context_value=context())
    return [error.message for error in result.errors or []]


def test_a_query_deeper_than_the_limit_is_refused() -> None:
    query = '{ eventSchema(source: "web", type: TRACK, event: "A") { column(path: "p") { history { id } } } }'
    assert _errors(Limits(max_depth=4), query) == []
    assert any("exceeds maximum operation depth" in e for e in _errors(Limits(max_depth=2), query))


def test_too_many_aliases_are_refused() -> None:
    query = "{ a: sources { name } b: sources { name } c: sources { name } }"
    assert _errors(Limits(max_aliases=3), query) == []
    assert _errors(Limits(max_aliases=2), query) == ["3 aliases found. Allowed: 2"]


def test_too_many_tokens_are_refused() -> None:
    query = "{ " + " ".join("sources { name }" for _ in range(50)) + " }"
    assert any("token" in e.lower() for e in _errors(Limits(max_tokens=100), query))


def test_introspection_can_be_turned_off() -> None:
    query = "{ __schema { queryType { name } } }"
    assert _errors(Limits(introspection=True), query) == []
    assert any("introspection has been disabled" in e for e in _errors(Limits(introspection=False), query))


def test_a_cached_validation_still_refuses_the_same_query_again() -> None:
    # Parse and validation are cached by query text; the refusal must be cached too.
    schema = build_schema(Limits(max_depth=2))
    query = '{ eventSchema(source: "web", type: TRACK, event: "B") { column(path: "p") { history { id } } } }'
    for _ in range(3):
        result = execute_sync(schema, query, context_value=context())
        assert any("exceeds maximum operation depth" in e.message for e in result.errors or [])
