"""Schemathesis against /graphql: generated operations over the node's real HTTP app.

The app is the one a node serves (the bearer-token gate, the request timeout, the
limits, error masking), over in-memory stores: one set holding a user's journey and
a few schemas, and one whose every read fails as a broken disk would. Whatever the
operation, the answer is a GraphQL response, never a 5xx; nothing fails unexpectedly
over sound stores; and over failing stores nothing of the failure reaches the client.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from graphql import parse_value
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.graphql import nodes
from starlette.applications import Starlette

from query.graphql import Context
from query.graphql.schema import Limits, build_schema
from registry import SchemaKey
from streams.edge.app import build_http_app
from streams.edge.ingest import Ingest
from streams.metrics import Metrics
from tests.unit.query.fakes import MemoryProfiles, MemorySchemas, Unused, context
from tests.unit.query.journeys import T0, two_devices

TOKEN = "fuzz-token"
AUTHORIZATION = {"authorization": f"Bearer {TOKEN}"}
SECRET = "/var/lib/tracklog/tables/schemas-0.db"
MASKED = "Unexpected error."


def _app(graphql_context: Context) -> Starlette:
    """The node's app as served outside dev (a token required), introspection on to load it."""
    metrics = Metrics()
    ingest = Ingest(producer=Unused(), sealing=Unused(), source_for_key=lambda key: None, dev=False, metrics=metrics)
    return build_http_app(
        ingest=ingest,
        context=graphql_context,
        metrics=metrics,
        ready=lambda: True,
        graphiql=False,
        schema=build_schema(Limits(introspection=True)),
        tokens=frozenset({TOKEN}),
    )


def _sound() -> Context:
    schemas = MemorySchemas()
    order = SchemaKey("web", "track", "Order Completed")
    schemas.observe(order, {"total": 42, "items": [{"sku": "A-1"}], "a.b": True, "": "x"}, T0, "m1")
    schemas.observe(order, {"total": "42.00", "coupon": None}, T0 + 1_000, "m2")
    schemas.observe(SchemaKey("ios", "page", None), {"path": "/"}, T0 + 2_000, "m3")
    profiles = MemoryProfiles()
    profiles.observe(*two_devices())
    return context(schemas=schemas, profiles=profiles)


class _Failing:
    """A store whose every call fails, naming a file no client may see."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise OSError(f"{SECRET}: input/output error in {name}")

        return fail


def _failing() -> Context:
    return Context(
        schemas=_Failing(), commands=_Failing(), changes=_Failing(), profiles=_Failing(), regulations=_Failing(), plans=_Failing(),
        violations=_Failing(),
    )


# Mostly names the stores hold, so that operations reach the data, not only misses.
KNOWN = ["web", "ios", "Order Completed", "properties.total", "properties.a\\.b", "u1", "anon-1", "plan", "email"]
schemathesis.graphql.scalar(
    "String", st.one_of(st.sampled_from(KNOWN), st.sampled_from(KNOWN), st.text()).map(nodes.String)
)

# JSON arguments (a plan's rules): a valid rule list, malformed ones, and anything else.
RULES = [
    '[{type: "TRACK", key: "Order Completed", version: 1, jsonSchema: {properties: {properties: {required: ["total"]}}}}]',
    '[{type: "TRACK", key: null, jsonSchema: {}}]',
    '[{type: "PAGE", jsonSchema: {type: 5}}]',
    '{type: "TRACK"}',
    "[]",
    '"rules"',
    "7",
]
schemathesis.graphql.scalar("JSON", st.sampled_from(RULES).map(parse_value))

sound = schemathesis.graphql.from_asgi("/graphql", _app(_sound()), headers=AUTHORIZATION)
failing = schemathesis.graphql.from_asgi("/graphql", _app(_failing()), headers=AUTHORIZATION)

few = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def graphql_answer(case: Case) -> dict[str, Any]:
    """Call the app; the answer must be a GraphQL response (a 400 for a malformed query)."""
    response = case.call(headers=AUTHORIZATION)
    assert response.status_code in (200, 400), (response.status_code, response.text)
    body = response.json()
    assert isinstance(body, dict), body
    assert body.keys() <= {"data", "errors", "extensions"} and body.keys() & {"data", "errors"}, body
    assert body.get("data") is None or isinstance(body["data"], dict), body
    for error in body.get("errors") or []:
        assert isinstance(error.get("message"), str) and error["message"], body
        assert "Traceback" not in error["message"], body
    return body


@sound.parametrize()
@few
def test_every_operation_over_sound_stores_answers_without_an_unexpected_error(case: Case) -> None:
    body = graphql_answer(case)
    assert MASKED not in [error["message"] for error in body.get("errors") or []], (case.body, body)


@failing.parametrize()
@few
def test_every_operation_over_failing_stores_reveals_nothing_of_the_failure(case: Case) -> None:
    body = graphql_answer(case)
    for error in body.get("errors") or []:
        assert SECRET not in error["message"] and "OSError" not in error["message"], body
