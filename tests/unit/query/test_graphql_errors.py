"""What a client reads of a failure: expected errors say what was wrong, others nothing."""

from __future__ import annotations

import logging

import pytest

from query.domain import Identifier, RecordDecodeError
from query.graphql import schema
from registry import ColumnState, SchemaKey, SchemaState
from tests.unit.query.fakes import execute_sync, MemoryProfiles, MemorySchemas, context


class BrokenSchemas(MemorySchemas):
    def list_schemas(self, source: str | None = None) -> list[tuple[SchemaKey, SchemaState]]:
        raise RuntimeError("table /var/lib/tracklog/secret.db is corrupt")

    def get_columns(self, key: SchemaKey) -> dict[str, ColumnState]:
        raise AssertionError("not reached")


def test_an_unexpected_failure_is_masked_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="query.graphql.schema"):
        result = execute_sync(schema, "{ sources { name } }", context_value=context(BrokenSchemas()))
    assert result.errors is not None
    assert [e.message for e in result.errors] == ["Unexpected error."]
    assert [r.exc_info[1] for r in caplog.records if r.exc_info] != []
    assert "secret.db" in caplog.text


def test_a_query_error_keeps_its_message_and_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        result = execute_sync(
            schema, '{ eventSchema(source: "bad\\u001fsource", type: PAGE) { version } }',
            context_value=context(),
        )
    assert result.errors is not None
    (error,) = result.errors
    assert error.message.startswith("invalid argument 'source': ")
    assert "0x1F" in error.message
    assert caplog.records == []


def test_a_graphql_validation_error_is_shown_as_it_is() -> None:
    result = execute_sync(schema, "{ sources { nope } }", context_value=context())
    assert result.errors is not None
    assert "Cannot query field 'nope'" in result.errors[0].message


class CorruptProfiles(MemoryProfiles):
    def profile_of(self, identifier: Identifier) -> str | None:
        raise RecordDecodeError("profile identities", "mb", "missing")


def test_a_caller_error_of_the_query_core_keeps_its_message_and_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        result = execute_sync(
            schema, '{ timeline(id: "u1", after: "nope") { edges { cursor } } }', context_value=context()
        )
    assert result.errors is not None
    assert [e.message for e in result.errors] == ["invalid cursor 'nope': not a timeline cursor"]
    assert caplog.records == []


def test_a_stored_record_that_does_not_decode_is_masked_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="query.graphql.schema"):
        result = execute_sync(
            schema, '{ profile(id: "u1") { id } }', context_value=context(profiles=CorruptProfiles())
        )
    assert result.errors is not None
    assert [e.message for e in result.errors] == ["Unexpected error."]
    assert "cannot decode profile identities" in caplog.text
