"""What a client reads of a failure: expected errors say what was wrong, others nothing."""

from __future__ import annotations

import logging

import pytest

from query.graphql import schema
from registry import ColumnState, SchemaKey, SchemaState
from tests.unit.query.fakes import MemorySchemas, context


class BrokenSchemas(MemorySchemas):
    def list_schemas(self, source: str | None = None) -> list[tuple[SchemaKey, SchemaState]]:
        raise RuntimeError("table /var/lib/tracklog/secret.db is corrupt")

    def get_columns(self, key: SchemaKey) -> dict[str, ColumnState]:
        raise AssertionError("not reached")


def test_an_unexpected_failure_is_masked_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="query.graphql.schema"):
        result = schema.execute_sync("{ sources { name } }", context_value=context(BrokenSchemas()))
    assert result.errors is not None
    assert [e.message for e in result.errors] == ["Unexpected error."]
    assert [r.exc_info[1] for r in caplog.records if r.exc_info] != []
    assert "secret.db" in caplog.text


def test_a_query_error_keeps_its_message_and_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        result = schema.execute_sync(
            '{ eventSchema(source: "bad\\u001fsource", type: PAGE) { version } }',
            context_value=context(),
        )
    assert result.errors is not None
    (error,) = result.errors
    assert error.message.startswith("invalid argument 'source': ")
    assert "0x1F" in error.message
    assert caplog.records == []


def test_a_graphql_validation_error_is_shown_as_it_is() -> None:
    result = schema.execute_sync("{ sources { nope } }", context_value=context())
    assert result.errors is not None
    assert "Cannot query field 'nope'" in result.errors[0].message
