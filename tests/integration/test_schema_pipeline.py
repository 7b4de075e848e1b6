"""Events through a running node: /v1 -> Kafka -> Faust agents -> RocksDB -> GraphQL."""

from __future__ import annotations

import base64
import asyncio
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaProducer

from schemas import encode_event, parse_call
from schemas.log import event_records
from streams.ops.broker import EmbeddedBroker

from tests.integration.conftest import StartNode
from tests.keys import pseudonym, sealed_with_the_nodes_keys
from tests.nodes import NodeProcess
from tests.topics import read_json
from tests.waiting import wait_until

SCHEMA = """
query ($source: String!, $type: EventType!, $event: String) {
  eventSchema(source: $source, type: $type, event: $event) {
    source type event version eventCount firstSeen lastSeen
    columns { path type nullable count firstSeen lastSeen }
  }
}
"""


def _schema(node: NodeProcess, event: str, *, count: int, source: str = "web") -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        found = node.graphql(SCHEMA, source=source, type="TRACK", event=event)["eventSchema"]
        return found if found and found["eventCount"] >= count else None

    return wait_until(check, timeout=30, what=f"{count} events of {event!r}")


def _track(user: str, event: str, message_id: str, properties: dict[str, Any], ts: str) -> dict[str, Any]:
    return {
        "type": "track",
        "userId": user,
        "event": event,
        "messageId": message_id,
        "properties": properties,
        "timestamp": ts,
    }


def test_columns_and_types_are_inferred_from_tracked_events(start_node: StartNode) -> None:
    node = start_node()
    batch = [
        _track("u1", "Order Completed", "m1", {"total": 10, "coupon": None, "items": [{"sku": "a", "price": 1.5}]}, "2026-11-20T10:00:00Z"),
        _track("u2", "Order Completed", "m2", {"total": 12.5, "coupon": "X", "paid_at": "2026-11-20T10:01:00Z"}, "2026-11-20T10:01:00Z"),
        _track("u3", "Order Completed", "m3", {"total": 7, "tags": ["a", "b"], "context_free": True}, "2026-11-20T10:02:00Z"),
    ]
    response = node.post("/v1/batch", {"batch": batch})
    assert response.status_code == 200, response.text

    schema = _schema(node, "Order Completed", count=3)
    assert schema["eventCount"] == 3
    assert (schema["source"], schema["type"], schema["event"]) == ("web", "TRACK", "Order Completed")
    assert schema["firstSeen"].startswith("2026-11-20T10:00:00")
    assert schema["lastSeen"].startswith("2026-11-20T10:02:00")
    columns = {c["path"]: c for c in schema["columns"]}
    assert {path: c["type"] for path, c in columns.items()} == {
        "properties.total": "NUMBER",  # INTEGER joined with NUMBER
        "properties.coupon": "STRING",  # null, then a string
        "properties.items": "ARRAY",
        "properties.items[].sku": "STRING",
        "properties.items[].price": "NUMBER",
        "properties.paid_at": "TIMESTAMP",
        "properties.tags": "ARRAY",
        "properties.tags[]": "STRING",
        "properties.context_free": "BOOLEAN",
    }
    assert columns["properties.total"]["count"] == 3
    assert columns["properties.coupon"]["nullable"] is True
    assert columns["properties.total"]["nullable"] is False
    assert schema["version"] >= len(columns)

    sources = node.graphql("{ sources { name eventCount } }")["sources"]
    assert sources == [{"name": "web", "eventCount": 3}]
    listed = node.graphql('{ eventSchemas(source: "web") { type event eventCount } }')
    assert listed["eventSchemas"] == [{"type": "TRACK", "event": "Order Completed", "eventCount": 3}]

    metrics = httpx.get(f"{node.url}/metrics").text
    assert 'tracklog_ingested_events_total{source="web"} 3.0' in metrics
    assert 'tracklog_processed_messages_total{agent="fold-schemas"} 3.0' in metrics


def test_a_poison_message_is_dead_lettered_and_the_partition_goes_on(
    start_node: StartNode, kafka: EmbeddedBroker
) -> None:
    node = start_node(TRACKLOG_PARTITIONS="1")
    prefix = node.env["TRACKLOG_TOPIC_PREFIX"]
    good = [
        _track("u1", "Around Poison", f"m{n}", {"n": n}, "2026-11-20T10:00:00Z") for n in range(2)
    ]

    sealed: list[bytes] = []

    async def produce_garbage() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(f"{prefix}.events", value=b"\xff not json")
            # A record of three events (sealed, as the edge seals them) whose middle one
            # has no messageId.
            sealed[:] = await sealed_with_the_nodes_keys(
                kafka.bootstrap,
                f"{prefix}.keys",
                U1,
                [_wire(good[0]), b'{"type": "track", "source": "web", "userId": "u1"}', _wire(good[1])],
            )
            [record] = event_records(sealed)
            await producer.send_and_wait(f"{prefix}.events", key=U1.encode(), value=record)
        finally:
            await producer.stop()

    asyncio.run(produce_garbage())
    after = _track("u1", "After Poison", "m3", {"ok": True}, "2026-11-20T10:00:00Z")
    assert node.post("/v1/batch", {"batch": [after]}).status_code == 200
    _schema(node, "After Poison", count=1)
    _schema(node, "Around Poison", count=2)  # the bad event's neighbours were folded

    letters = asyncio.run(read_json(kafka.bootstrap, f"{prefix}.dead-letter", 2))
    assert [(d["topic"], d["partition"], d["offset"], d.get("index")) for d in letters] == [
        (f"{prefix}.events", 0, 0, None),
        (f"{prefix}.events", 0, 1, 1),
    ]
    assert "JSON" in letters[0]["reason"]
    assert letters[1]["reason"].startswith("events[1]: messageId")
    assert base64.b64decode(letters[1]["valueBase64"]) == sealed[1]  # the bad event alone, still sealed
    metrics = httpx.get(f"{node.url}/metrics").text
    assert 'tracklog_dead_letters_total{agent="route-events"} 2.0' in metrics


U1 = pseudonym("user_id", "u1")


def _wire(call: dict[str, Any]) -> bytes:
    """A call as the edge writes it onto the log."""
    return encode_event(parse_call(call, None, source="web", received_at_ms=1_763_632_800_000, new_id=str))


def test_redelivered_events_change_nothing(start_node: StartNode) -> None:
    node = start_node()
    batch = [
        _track("u1", "Signed Up", f"dup-{i}", {"plan": "pro", "seats": i}, "2026-11-20T10:00:00Z")
        for i in range(5)
    ]
    assert node.post("/v1/batch", {"batch": batch}).status_code == 200
    before = _schema(node, "Signed Up", count=5)

    # The same messages again (a client retry), then one new message from the same user
    # for the same event: it is folded after the duplicates, so once it is counted the
    # duplicates have been processed too.
    assert node.post("/v1/batch", {"batch": batch}).status_code == 200
    marker = _track("u1", "Signed Up", "new-1", {"plan": "pro", "seats": 9}, "2026-11-20T10:00:00Z")
    assert node.post("/v1/batch", {"batch": [marker]}).status_code == 200
    after = _schema(node, "Signed Up", count=6)

    assert after["eventCount"] == 6
    counts = {c["path"]: c["count"] for c in after["columns"]}
    assert counts == {path: 6 for path in counts}
    assert after["version"] == before["version"]


def test_a_restarted_node_keeps_its_state(start_node: StartNode) -> None:
    node = start_node()
    event = _track("u1", "Logged In", "m1", {"method": "sso"}, "2026-11-20T10:00:00Z")
    assert node.post("/v1/batch", {"batch": [event]}).status_code == 200
    before = _schema(node, "Logged In", count=1)
    assert node.stop() == 0

    node.start()
    assert node.graphql(SCHEMA, source="web", type="TRACK", event="Logged In")["eventSchema"] == before


def test_sources_are_named_by_write_key(start_node: StartNode) -> None:
    node = start_node()
    event = _track("u1", "Opened App", "m1", {}, "2026-11-20T10:00:00Z")
    assert node.post("/v1/batch", {"batch": [event]}, key="ios-key").status_code == 200
    _schema(node, "Opened App", count=1, source="ios")
    assert node.graphql(SCHEMA, source="web", type="TRACK", event="Opened App")["eventSchema"] is None


def test_outside_dev_introspection_and_graphiql_are_off(start_node: StartNode) -> None:
    node = start_node()
    introspection = httpx.post(
        f"{node.url}/graphql",
        json={"query": "{ __schema { queryType { name } } }"},
        headers=node.auth_headers,
    )
    assert "introspection has been disabled" in introspection.json()["errors"][0]["message"], introspection.text
    page = httpx.get(f"{node.url}/graphql", headers={"accept": "text/html", **node.auth_headers})
    assert "graphiql" not in page.text.lower()

    on = start_node("introspective", TRACKLOG_GRAPHQL_INTROSPECTION="true", TRACKLOG_GRAPHIQL="true")
    assert on.graphql("{ __schema { queryType { name } } }")["__schema"]["queryType"]["name"] == "Query"
    graphiql = httpx.get(f"{on.url}/graphql", headers={"accept": "text/html", **on.auth_headers})
    assert "graphiql" in graphiql.text.lower()
