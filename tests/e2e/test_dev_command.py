"""`tracklog dev` as a user runs it: its own embedded Kafka, the real Segment client."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from segment.analytics import Client

from tests.nodes import NodeProcess
from tests.waiting import wait_until


def _brokers_under(data_dir: Path) -> list[int]:
    """PIDs of Java processes whose command line names ``data_dir`` (our broker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"java") and any(str(data_dir).encode() in part for part in cmdline):
            found.append(int(entry.name))
    return found


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[NodeProcess]:
    node = NodeProcess("dev", tmp_path / "var", {"TRACKLOG_LOG_LEVEL": "info"})
    node.start(ready_timeout=120)
    yield node
    if node.process is not None and node.process.poll() is None:
        node.stop()


def test_segment_client_events_show_up_in_the_schema(dev: NodeProcess) -> None:
    errors: list[Exception] = []
    client = Client(
        "my-web-app",
        host=dev.url,
        sync_mode=True,
        gzip=True,
        on_error=lambda error, batch: errors.append(error),
    )
    client.identify("user-1", {"email": "ada@example.com", "plan": "pro", "seats": 3})
    client.track("user-1", "Checkout Started", {"cart_value": 42.5, "items": [{"sku": "A-1", "qty": 2}]})
    client.track("user-1", "Checkout Started", {"cart_value": 40, "coupon": "WELCOME"})
    client.page("user-1", "Docs", "Quickstart", {"url": "http://example.com/docs"})
    client.flush()
    assert errors == []

    query = """{ eventSchema(source: "my-web-app", type: TRACK, event: "Checkout Started") {
        eventCount columns { path type } } }"""
    schema = wait_until(
        lambda: (s := dev.graphql(query)["eventSchema"]) and s["eventCount"] == 2 and s,
        timeout=30,
        what="the tracked events in eventSchema",
    )
    types = {c["path"]: c["type"] for c in schema["columns"]}
    assert types["properties.cart_value"] == "NUMBER"
    assert types["properties.items[].sku"] == "STRING"
    assert types["properties.items[].qty"] == "INTEGER"
    assert types["properties.coupon"] == "STRING"
    assert types["context.library.name"] == "STRING"

    identify = dev.graphql(
        '{ eventSchema(source: "my-web-app", type: IDENTIFY) { columns { path type } } }'
    )["eventSchema"]
    assert {"path": "traits.seats", "type": "INTEGER"} in identify["columns"]

    profile = wait_until(
        lambda: (p := dev.graphql(
            '{ profile(id: "ada@example.com", idType: "email") { eventCount traits '
            "timeline(first: 10) { edges { node { type event } } } } }"
        )["profile"]) and p["eventCount"] == 4 and p,
        timeout=30,
        what="the profile of user-1",
    )
    assert profile["traits"]["plan"] == "pro"
    assert [e["node"]["type"] for e in profile["timeline"]["edges"]] == [
        "PAGE",
        "TRACK",
        "TRACK",
        "IDENTIFY",
    ]


def test_ctrl_c_stops_node_and_broker(dev: NodeProcess) -> None:
    assert _brokers_under(dev.data_dir), "the embedded broker should be running"
    assert dev.stop(signal.SIGINT) == 0
    assert _brokers_under(dev.data_dir) == []


def test_no_orphan_broker_when_the_node_is_killed(dev: NodeProcess) -> None:
    [broker] = _brokers_under(dev.data_dir)
    assert dev.process is not None
    os.kill(dev.process.pid, signal.SIGKILL)
    dev.process.wait()
    wait_until(lambda: not _brokers_under(dev.data_dir), timeout=30, what=f"broker {broker} to exit")


def test_nodes_share_a_broker_started_alone(tmp_path: Path) -> None:
    from streams.ops.broker import EmbeddedBroker
    from tests.nodes import TRACKLOG, fresh_prefix

    broker_dir = tmp_path / "broker"
    broker = subprocess.Popen(
        [TRACKLOG, "broker"],
        env={**os.environ, "TRACKLOG_DATA_DIR": str(broker_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = wait_until(
            lambda: EmbeddedBroker.running_url(broker_dir / "kafka"), timeout=60, what="tracklog broker"
        )
        node = NodeProcess(
            "dev", tmp_path / "node", {"TRACKLOG_BROKER": url, "TRACKLOG_TOPIC_PREFIX": fresh_prefix()}
        )
        node.start()
        assert _brokers_under(node.data_dir) == [], "dev must use TRACKLOG_BROKER, not start its own"
        response = node.post("/v1/track", {"userId": "u", "event": "Shared"}, key="any")
        assert response.status_code == 200
        assert node.stop() == 0
    finally:
        broker.send_signal(signal.SIGINT)
        assert broker.wait(60) == 0
    assert _brokers_under(broker_dir) == []
