"""A node killed in the middle of an import restarts to the same state, nothing lost or doubled.

The node is SIGKILLed while it folds an import and takes HTTP calls; more events reach
the log while it is down. Restarted (on its local RocksDB, or with that deleted so it
recovers from the changelogs), it must reflect every event on the log exactly once —
schema counts, profile event counts, timeline entries — and its tables must equal a
``tracklog rebuild`` of the same log.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from query.domain import ANONYMOUS_ID, USER_ID, primary_identifier
from schemas import decode_event
from streams.broker import EmbeddedBroker
from tests.integration.conftest import StartNode
from tests.nodes import TRACKLOG, NodeProcess
from tests.topics import all_records, lag
from tests.waiting import wait_until

PROFILE = "query ($id: String!, $idType: String) { profile(id: $id, idType: $idType) { id eventCount } }"
TIMELINE = """query ($id: String!, $after: String) {
  timeline(id: $id, first: 200, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } }
}"""


def _tracklog(node: NodeProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACKLOG_DATA_DIR": str(node.data_dir), **node.env}
    return subprocess.run([TRACKLOG, *args], env=env, capture_output=True, text=True, timeout=120)


class Sender(threading.Thread):
    """Posts small batches to ``/v1/batch`` until the node stops answering."""

    def __init__(self, node: NodeProcess) -> None:
        super().__init__(daemon=True)
        self.node = node
        self.acked: set[str] = set()

    def run(self) -> None:
        for n in itertools.count():
            batch = [
                {
                    "type": "track",
                    "userId": f"http-user-{i % 7}",
                    "event": "Clicked",
                    "messageId": f"http-{n}-{i}",
                    "properties": {"n": n, "i": i},
                }
                for i in range(20)
            ]
            try:
                response = self.node.post("/v1/batch", {"batch": batch})
            except httpx.HTTPError:
                return
            if response.status_code != 200:
                return
            self.acked.update(call["messageId"] for call in batch)


def _processed(node: NodeProcess, agent: str) -> float:
    try:
        text = httpx.get(f"{node.url}/metrics", timeout=2).text
    except httpx.HTTPError:
        return 0.0
    for line in text.splitlines():
        if line.startswith(f'tracklog_processed_messages_total{{agent="{agent}"}}'):
            return float(line.split()[-1])
    return 0.0


def _where_it_waits(node: NodeProcess) -> str:
    """What a node that stopped making progress shows: its counters and its stacks."""
    assert node.process is not None
    counters = {agent: _processed(node, agent) for agent in ("route-events", "fold-schemas", "fold-identities")}
    dump = subprocess.run(
        [str(Path(TRACKLOG).with_name("py-spy")), "dump", "--pid", str(node.process.pid)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return f"processed: {counters}\n{dump.stdout[-6000:]}{dump.stderr[-2000:]}"


def _timeline_length(node: NodeProcess, identifier: str) -> int:
    count, after = 0, None
    while True:
        page = node.graphql(TIMELINE, id=identifier, after=after)["timeline"]
        count += len(page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return count
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("tables", ["kept", "deleted"])
async def test_a_node_killed_mid_import_restarts_with_every_event_exactly_once(
    start_node: StartNode, kafka: EmbeddedBroker, tmp_path: Path, tables: str
) -> None:
    node = start_node()
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    for path, seed in ((first, "1"), (second, "2")):
        made = _tracklog(node, "generate", str(path), "--seed", seed, "--users", "30", "--events", "600")
        assert made.returncode == 0, made.stderr
    assert _tracklog(node, "import", str(first)).returncode == 0

    sender = Sender(node)
    sender.start()
    # Mid-way: the node has folded some of the import, and HTTP calls are being acked.
    wait_until(
        lambda: _processed(node, "route-events") >= 200 and len(sender.acked) >= 100,
        timeout=60,
        what="the node to be folding the import",
    )
    assert node.process is not None
    node.process.send_signal(signal.SIGKILL)
    node.process.wait(10)
    sender.join(30)
    assert not sender.is_alive()

    # While it is down the log keeps growing.
    assert _tracklog(node, "import", str(second)).returncode == 0
    if tables == "deleted":
        shutil.rmtree(node.data_dir / "node")
    node.start()

    prefix = node.env["TRACKLOG_TOPIC_PREFIX"]
    topics = [f"{prefix}.events", f"{prefix}.schema-input", f"{prefix}.identity-links"]

    behind: dict[str, int] = {}

    def drained() -> bool:
        behind.update(asyncio.run(lag(kafka.bootstrap, prefix, topics)))
        return not any(behind.values())

    try:
        await asyncio.to_thread(wait_until, drained, timeout=120, what="the node to drain the log")
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; records not committed, per topic: {behind}\n{_where_it_waits(node)}"
        ) from None

    events = [decode_event(record.value) for record in await all_records(kafka.bootstrap, topics[0])]
    on_log = {event.message_id for event in events}
    assert sender.acked <= on_log  # every acknowledged call was kept
    assert len(on_log) >= 1200 + len(sender.acked)

    sources = node.graphql("{ sources { name eventCount } }")["sources"]
    assert sum(source["eventCount"] for source in sources) == len(on_log)

    counts: dict[str, int] = {}  # profile id -> its eventCount
    lengths: dict[str, int] = {}  # profile id -> its timeline's length
    for identifier in {primary_identifier(event) for event in events}:
        assert identifier is not None and identifier.kind in (USER_ID, ANONYMOUS_ID)
        profile = node.graphql(PROFILE, id=identifier.value, idType=identifier.kind)["profile"]
        if profile["id"] not in counts:
            counts[profile["id"]] = profile["eventCount"]
            lengths[profile["id"]] = _timeline_length(node, identifier.value)
    assert sum(counts.values()) == len(on_log)
    assert lengths == counts

    assert node.stop() == 0
    checked = _tracklog(node, "rebuild", "--check")
    assert checked.returncode == 0, checked.stderr
    assert "(equal)" in checked.stderr

