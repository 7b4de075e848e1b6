"""Two nodes on one broker: either node answers any read (standby copies)."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import StartNode
from tests.nodes import NodeProcess
from tests.waiting import wait_until

READ = """{
  profile(id: "%(user)s") { eventCount traits }
  eventSchema(source: "web", type: TRACK, event: "Shared Event") { eventCount columns { path type } }
}"""


def _read(node: NodeProcess, user: str, events: int) -> dict[str, Any] | None:
    data = node.graphql(READ % {"user": user})
    profile, schema = data["profile"], data["eventSchema"]
    if profile and profile["eventCount"] == events and schema and schema["eventCount"] >= events:
        return data
    return None


def test_either_node_answers_reads_of_every_partition(start_node: StartNode) -> None:
    first = start_node("first", TRACKLOG_STANDBY_REPLICAS="1")
    second = start_node("second", TRACKLOG_STANDBY_REPLICAS="1")
    users = [f"user-{i}" for i in range(8)]  # spread over both partitions
    batch = [
        {
            "type": "track",
            "userId": user,
            "event": "Shared Event",
            "messageId": f"{user}-{n}",
            "properties": {"n": n},
            "timestamp": f"2026-11-20T10:00:{n:02d}Z",
        }
        for user in users
        for n in range(2)
    ]
    assert first.post("/v1/batch", {"batch": batch}).status_code == 200

    for node in (first, second):
        for user in users:
            wait_until(lambda: _read(node, user, 2), timeout=60, what=f"{user} on {node.data_dir.name}")

    locked = second.graphql(
        """mutation { setColumnPolicy(source: "web", type: TRACK, event: "Shared Event",
                                       path: "properties.n", policy: LOCK) { policy } }"""
    )
    assert locked["setColumnPolicy"] == {"policy": "LOCK"}
