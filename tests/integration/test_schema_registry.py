"""The schema registry through a running node: history, policy, change events, rebuild."""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import connect

from streams.ops.broker import EmbeddedBroker
from tests.integration.conftest import StartNode
from tests.nodes import TRACKLOG, NodeProcess
from tests.topics import read_json
from tests.waiting import wait_until

COLUMN = """
query ($event: String, $path: String!) {
  eventSchema(source: "web", type: TRACK, event: $event) {
    version eventCount
    column(path: $path) {
      type policy violations
      typeCounts { type count }
      history { id kind observedType fromType toType version messageId at }
    }
  }
}
"""

SUBSCRIBE = """
subscription { schemaChanges(source: "web") {
  id source type event path kind observedType fromType toType version at } }
"""


def _track(message_id: str, event: str, properties: dict[str, Any], second: int) -> dict[str, Any]:
    return {
        "type": "track",
        "userId": "u1",
        "event": event,
        "messageId": message_id,
        "properties": properties,
        "timestamp": f"2026-11-20T10:00:{second:02d}Z",
    }


def _send(node: NodeProcess, *events: dict[str, Any]) -> None:
    response = node.post("/v1/batch", {"batch": list(events)})
    assert response.status_code == 200, response.text


def _column(node: NodeProcess, event: str, path: str, *, events: int) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        schema = node.graphql(COLUMN, event=event, path=path)["eventSchema"]
        return schema if schema and schema["eventCount"] >= events else None

    return wait_until(check, timeout=30, what=f"{events} events of {event}")


class Subscriber:
    """A graphql-transport-ws client of /graphql."""

    def __init__(
        self, node: NodeProcess, token: str = "test-token", query: str = SUBSCRIBE, field: str = "schemaChanges"
    ) -> None:
        self.url = node.url.replace("http://", "ws://") + "/graphql"
        self.token = token
        self.query = query
        self.field = field

    async def __aenter__(self) -> Subscriber:
        self.ws = await connect(self.url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}}
        await self.ws.send(orjson.dumps(init).decode())
        assert orjson.loads(await self.ws.recv())["type"] == "connection_ack"
        await self.ws.send(
            orjson.dumps({"id": "1", "type": "subscribe", "payload": {"query": self.query}}).decode()
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def next_change(self, timeout: float) -> dict[str, Any]:
        message = orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        assert message["type"] == "next", message
        change: dict[str, Any] = message["payload"]["data"][self.field]
        return change


async def test_a_string_column_that_receives_a_number(
    start_node: StartNode, kafka: EmbeddedBroker
) -> None:
    node = start_node()
    async with Subscriber(node) as subscriber:
        # Once the warm-up's change arrives, the subscription is registered on the node.
        await asyncio.to_thread(_send, node, _track("w1", "Warmup", {"ok": True}, 0))
        warmup = await subscriber.next_change(timeout=30)
        assert (warmup["event"], warmup["path"], warmup["kind"]) == ("Warmup", "properties.ok", "COLUMN_ADDED")

        await asyncio.to_thread(_send, node, _track("m1", "Price Set", {"price": "12.00"}, 1))
        added = await subscriber.next_change(timeout=10)
        await asyncio.to_thread(_send, node, _track("m2", "Price Set", {"price": 12}, 2))
        conflict = await subscriber.next_change(timeout=10)

    assert (added["path"], added["kind"], added["observedType"], added["fromType"], added["toType"]) == (
        "properties.price",
        "COLUMN_ADDED",
        "STRING",
        None,
        "STRING",
    )
    assert (conflict["kind"], conflict["observedType"], conflict["fromType"], conflict["toType"]) == (
        "TYPE_CONFLICT",
        "INTEGER",
        "STRING",
        "STRING",
    )
    assert conflict["version"] == added["version"] + 1

    schema = _column(node, "Price Set", "properties.price", events=2)
    column = schema["column"]
    assert column["type"] == "STRING"
    assert sorted((c["type"], c["count"]) for c in column["typeCounts"]) == [("INTEGER", 1), ("STRING", 1)]
    assert [(h["kind"], h["observedType"], h["messageId"]) for h in column["history"]] == [
        ("COLUMN_ADDED", "STRING", "m1"),
        ("TYPE_CONFLICT", "INTEGER", "m2"),
    ]
    assert [h["id"] for h in column["history"]] == [added["id"], conflict["id"]]

    # Any Kafka consumer sees the same events, with the same ids, on schema-changes.
    published = await read_json(kafka.bootstrap, f"{node.env['TRACKLOG_TOPIC_PREFIX']}.schema-changes", 3)
    by_id = {c["id"]: c for c in published}
    assert by_id[conflict["id"]]["kind"] == "TYPE_CONFLICT"
    assert by_id[conflict["id"]]["messageId"] == "m2"
    assert by_id[added["id"]]["path"] == "properties.price"


def test_a_locked_column_keeps_its_type_and_counts_violations(start_node: StartNode) -> None:
    node = start_node()
    _send(node, _track("m1", "Seats Set", {"seats": 3}, 1))
    _column(node, "Seats Set", "properties.seats", events=1)

    locked = node.graphql(
        """mutation { setColumnPolicy(source: "web", type: TRACK, event: "Seats Set",
                                       path: "properties.seats", policy: LOCK) { path policy type } }"""
    )["setColumnPolicy"]
    assert locked == {"path": "properties.seats", "policy": "LOCK", "type": "INTEGER"}

    _send(node, _track("m2", "Seats Set", {"seats": "three"}, 2), _track("m3", "Seats Set", {"seats": "four"}, 3))
    column = _column(node, "Seats Set", "properties.seats", events=3)["column"]
    assert (column["type"], column["policy"], column["violations"]) == ("INTEGER", "LOCK", 2)
    assert [h["kind"] for h in column["history"]] == ["COLUMN_ADDED", "VIOLATION"]


def _tracklog(node: NodeProcess, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {
        **os.environ,
        "TRACKLOG_DATA_DIR": str(node.data_dir),
        **node.env,
    }
    return subprocess.run([TRACKLOG, *args], env=env, capture_output=True, text=True, timeout=120)


def test_rebuild_from_the_log_equals_the_live_tables(start_node: StartNode) -> None:
    node = start_node()
    _send(
        node,
        *[_track(f"m{i}", "Plan Chosen", {"plan": "pro", "seats": i, "tags": ["a"]}, i) for i in range(10)],
        _track("m10", "Plan Chosen", {"plan": 3, "seats": 1.5}, 11),
        _track("x1", "Other", {"deep": {"er": {"still": None}}}, 12),
    )
    _column(node, "Plan Chosen", "properties.seats", events=11)
    node.graphql(
        """mutation { setColumnPolicy(source: "web", type: TRACK, event: "Plan Chosen",
                                       path: "properties.plan", policy: LOCK) { policy } }"""
    )
    _send(node, _track("m11", "Plan Chosen", {"plan": True}, 13))
    before = _column(node, "Plan Chosen", "properties.plan", events=12)
    assert node.stop() == 0

    checked = _tracklog(node, "rebuild", "--check")
    assert checked.returncode == 0, checked.stderr
    assert "(equal)" in checked.stderr

    rebuilt = _tracklog(node, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert not (node.data_dir / "node" / "v1" / "tables").exists()

    node.start()
    assert _column(node, "Plan Chosen", "properties.plan", events=12) == before


def test_rebuild_check_fails_when_the_live_state_differs(
    start_node: StartNode, kafka: EmbeddedBroker
) -> None:
    node = start_node()
    _send(node, _track("m1", "Tampered", {"n": 1}, 1))
    _column(node, "Tampered", "properties.n", events=1)
    assert node.stop() == 0

    async def tamper() -> None:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
        await producer.start()
        try:
            topic = f"{node.env['TRACKLOG_TOPIC_PREFIX']}-schemas-changelog"
            await producer.send_and_wait(topic, key=b"not-from-the-log", value=b"{}", partition=0)
        finally:
            await producer.stop()

    asyncio.run(tamper())
    checked = _tracklog(node, "rebuild", "--check")
    assert checked.returncode == 1
    assert "(DIFFERENT)" in checked.stderr


async def test_a_subscriber_without_a_valid_token_is_refused(start_node: StartNode) -> None:
    from websockets.exceptions import ConnectionClosed

    node = start_node()
    with pytest.raises(ConnectionClosed) as closed:
        async with Subscriber(node, token="wrong"):
            pass
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def test_graphql_over_http_needs_a_known_bearer_token(start_node: StartNode) -> None:
    import httpx

    node = start_node()
    query = {"query": "{ sources { name } }"}
    missing = httpx.post(f"{node.url}/graphql", json=query)
    wrong = httpx.post(f"{node.url}/graphql", json=query, headers={"authorization": "Bearer nope"})
    second = httpx.post(f"{node.url}/graphql", json=query, headers={"authorization": "Bearer second-token"})
    assert (missing.status_code, wrong.status_code, second.status_code) == (401, 401, 200)
    assert "missing bearer token" in missing.json()["errors"][0]["message"]
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    # Secrets never reach the log, even when a request gets them wrong.
    log = node.log_path.read_text()
    assert "test-token" not in log and "second-token" not in log and "test-key" not in log
