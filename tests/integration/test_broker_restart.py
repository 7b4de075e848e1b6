"""The broker restarts under a running node: 503 with Retry-After while it is gone, then on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.brokers import running_broker
from tests.nodes import NodeProcess, fresh_prefix
from tests.waiting import wait_until


def _track(message_id: str) -> dict[str, Any]:
    return {"type": "track", "userId": "u1", "event": "Signed Up", "messageId": message_id}


def _post(node: NodeProcess, message_id: str) -> httpx.Response | None:
    try:
        return node.post("/v1/track", _track(message_id))
    except httpx.HTTPError:
        return None


def test_ingestion_answers_503_while_the_broker_is_gone_and_resumes_on_its_own(tmp_path: Path) -> None:
    with running_broker(tmp_path / "kafka") as broker:
        node = NodeProcess(
            "node",
            tmp_path / "node",
            {
                "TRACKLOG_BROKER": broker.url,
                "TRACKLOG_TOPIC_PREFIX": fresh_prefix(),
                "TRACKLOG_PARTITIONS": "1",
                "TRACKLOG_WRITE_KEYS": "test-key=web",
                "TRACKLOG_API_TOKENS": "test-token",
                "TRACKLOG_PRODUCE_TIMEOUT": "2",
            },
        ).start()
        try:
            assert node.post("/v1/track", _track("before")).status_code == 200

            broker.stop()
            gone = node.post("/v1/track", _track("while-gone"))
            assert gone.status_code == 503, gone.text
            assert gone.json()["error"] == "broker_unavailable"
            assert int(gone.headers["retry-after"]) > 0
            assert node.process is not None and node.process.poll() is None

            broker.start()  # same port, same log
            wait_until(
                lambda: (r := _post(node, "after")) is not None and r.status_code == 200,
                timeout=90,
                what="ingestion to resume once the broker is back",
            )

            # The SDK retries the refused call after Retry-After; kept once either way.
            assert node.post("/v1/track", _track("while-gone")).status_code == 200

            def counted() -> bool:
                schema = node.graphql(
                    '{ eventSchema(source: "web", type: TRACK, event: "Signed Up") { eventCount } }'
                )["eventSchema"]
                return schema is not None and schema["eventCount"] == 3

            wait_until(counted, timeout=90, what="the node to fold again")
        finally:
            node.stop()
