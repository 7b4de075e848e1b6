"""The GraphQL view's JSON: orjson both ways, with json's answers where orjson has none."""

from __future__ import annotations

import httpx

from query.graphql.schema import build_schema
from streams.edge.app import build_http_app
from streams.edge.auth import Tokens
from streams.edge.graphql import GraphQLView
from streams.edge.ingest import Ingest
from streams.metrics import Metrics
from tests.unit.query.fakes import MemoryProfiles, Unused, context
from tests.unit.query.journeys import two_devices


def _client() -> httpx.AsyncClient:
    profiles = MemoryProfiles()
    profiles.observe(*two_devices())
    metrics = Metrics()
    app = build_http_app(
        ingest=Ingest(producer=Unused(), sealing=Unused(), source_for_key=lambda key: None, dev=True, metrics=metrics),
        context=context(profiles=profiles),
        metrics=metrics,
        ready=lambda: True,
        graphiql=False,
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://node")


async def test_a_body_that_is_not_json_is_a_400_naming_it() -> None:
    async with _client() as client:
        response = await client.post("/graphql", content=b'{"query": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "JSON" in response.text


async def test_a_read_answers_json_text() -> None:
    async with _client() as client:
        response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"__typename": "Query"}}


def test_an_integer_past_64_bits_is_written_as_json_writes_it() -> None:
    view = GraphQLView(build_schema(), context(), graphiql=False, tokens=Tokens(None))
    assert view.encode_json({"n": 2**70, "s": "é"}) == '{"n":1180591620717411303424,"s":"é"}'
    assert view.decode_json(b'{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}
