"""createRegulation, regulation and regulations over GraphQL, on regulations kept in memory."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.types import ExecutionResult

from query.graphql import schema
from tests.unit.query.fakes import MemoryRegulations, context

CREATE = """mutation ($type: RegulationType!, $subjectType: SubjectType!, $ids: [String!]!) {
  createRegulation(type: $type, subjectType: $subjectType, subjectIds: $ids) { id type subjectType status } }"""
ONE = """query ($id: ID!) {
  regulation(id: $id) { id type subjectType status createdAt finishedAt steps { name status error } } }"""
PAGE = """query ($first: Int, $after: String) {
  regulations(first: $first, after: $after) { edges { node { id type status } } pageInfo { hasNextPage endCursor } } }"""


async def _run(query: str, regulations: MemoryRegulations, **variables: Any) -> ExecutionResult:
    return await schema.execute(query, variable_values=variables, context_value=context(regulations=regulations))


async def _create(regulations: MemoryRegulations, kind: str = "DELETE_ONLY", ids: list[str] | None = None) -> str:
    made = await _run(CREATE, regulations, type=kind, subjectType="USER_ID", ids=ids or ["user-1"])
    assert made.errors is None, made.errors
    assert made.data is not None
    return str(made.data["createRegulation"]["id"])


async def test_a_regulation_is_made_then_read_back_with_every_step_named() -> None:
    regulations = MemoryRegulations()
    made = await _run(CREATE, regulations, type="SUPPRESS_WITH_DELETE", subjectType="EMAIL", ids=["a@example.com"])
    assert made.errors is None, made.errors
    assert made.data == {
        "createRegulation": {"id": "r1", "type": "SUPPRESS_WITH_DELETE", "subjectType": "EMAIL", "status": "INITIALIZED"}
    }
    read = await _run(ONE, regulations, id="r1")
    assert read.errors is None, read.errors
    assert read.data is not None
    found = read.data["regulation"]
    assert (found["status"], found["finishedAt"]) == ("INITIALIZED", None)
    assert found["createdAt"].startswith("2026-")
    assert {s["name"] for s in found["steps"]} == {
        "ingest suppression", "profile", "timeline", "identity graph", "dedupe", "changelogs", "raw log", "samples"
    }
    assert {s["status"] for s in found["steps"]} == {"INITIALIZED"}
    assert (await _run(ONE, regulations, id="r-none")).data == {"regulation": None}


async def test_regulations_are_listed_newest_first_a_page_at_a_time() -> None:
    regulations = MemoryRegulations()
    for kind in ("SUPPRESS_ONLY", "DELETE_ONLY", "UNSUPPRESS"):
        await _create(regulations, kind)
    first = await _run(PAGE, regulations, first=2)
    assert first.errors is None, first.errors
    assert first.data is not None
    page = first.data["regulations"]
    assert [e["node"]["type"] for e in page["edges"]] == ["UNSUPPRESS", "DELETE_ONLY"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await _run(PAGE, regulations, first=2, after=page["pageInfo"]["endCursor"])
    assert rest.data is not None
    assert [e["node"]["type"] for e in rest.data["regulations"]["edges"]] == ["SUPPRESS_ONLY"]
    assert rest.data["regulations"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("ids", "says"),
    [
        ([], "invalid argument 'subjectIds': must name at least one id"),
        (["x"] * 5_001, "invalid argument 'subjectIds': at most 5,000"),
        (["ok", "k" * 1_025], "invalid argument 'subjectIds': id 1 is over 1024 bytes"),
    ],
)
async def test_bad_subject_ids_are_refused_naming_the_field_and_nothing_is_made(ids: list[str], says: str) -> None:
    regulations = MemoryRegulations()
    result = await _run(CREATE, regulations, type="DELETE_ONLY", subjectType="USER_ID", ids=ids)
    assert result.data is None
    assert result.errors is not None and says in result.errors[0].message
    assert regulations.folded.states == {}


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"type": "FORGET_EVERYTHING", "subjectType": "USER_ID"}, "RegulationType"),
        ({"type": "DELETE_ONLY", "subjectType": "PHONE"}, "SubjectType"),
    ],
)
async def test_an_unknown_enum_value_is_refused_naming_it(variables: dict[str, str], field: str) -> None:
    regulations = MemoryRegulations()
    result = await _run(CREATE, regulations, ids=["user-1"], **variables)
    assert result.errors is not None
    message = result.errors[0].message
    assert field in message and ("FORGET_EVERYTHING" in message or "PHONE" in message), message
    assert regulations.folded.states == {}


async def test_an_unknown_enum_literal_is_refused_before_anything_runs() -> None:
    regulations = MemoryRegulations()
    result = await _run(
        'mutation { createRegulation(type: ERASE, subjectType: USER_ID, subjectIds: ["u"]) { id } }', regulations
    )
    assert result.errors is not None and "ERASE" in result.errors[0].message
    assert "RegulationType" in result.errors[0].message
    assert regulations.folded.states == {}


async def test_a_bad_cursor_is_refused_naming_it() -> None:
    result = await _run(PAGE, MemoryRegulations(), first=2, after="not a cursor")
    assert result.errors is not None and "cursor" in result.errors[0].message
