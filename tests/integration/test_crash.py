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
from streams.ops.broker import EmbeddedBroker
from tests.integration.conftest import StartNode
from tests.nodes import TRACKLOG, NodeProcess
from tests.topics import all_records, keys_on, lag, logged_events
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

    def __init__(self, node: NodeProcess, tag: str) -> None:
        super().__init__(daemon=True)
        self.node = node
        self.tag = tag
        self.acked: set[str] = set()

    def run(self) -> None:
        for n in itertools.count():
            batch = [
                {
                    "type": "track",
                    "userId": f"http-user-{i % 7}",
                    "event": "Clicked",
                    "messageId": f"http-{self.tag}-{n}-{i}",
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


@pytest.mark.timeout(360)  # two crashes, two restarts and a rebuild: about 90 s alone
async def test_a_node_killed_mid_import_restarts_with_every_event_exactly_once(
    start_node: StartNode, kafka: EmbeddedBroker, tmp_path: Path
) -> None:
    # The broker hands a restarted node its partitions once its dead self's session ends.
    node = start_node(TRACKLOG_SESSION_TIMEOUT="6")
    prefix = node.env["TRACKLOG_TOPIC_PREFIX"]
    topics = [f"{prefix}.events", f"{prefix}.schema-input", f"{prefix}.identity-links"]
    acked: set[str] = set()
    # First on the RocksDB the node left behind, then with it deleted (from the changelogs).
    for crash, tables in enumerate(("kept", "deleted")):
        during, after = tmp_path / f"during-{crash}.jsonl", tmp_path / f"after-{crash}.jsonl"
        for path, seed in ((during, f"{crash}1"), (after, f"{crash}2")):
            made = _tracklog(node, "generate", str(path), "--seed", seed, "--users", "15", "--events", "300")
            assert made.returncode == 0, made.stderr
        folded_before = _processed(node, "route-events")
        assert _tracklog(node, "import", str(during)).returncode == 0

        sender = Sender(node, tag=str(crash))
        sender.start()
        # Mid-way: the node has folded some of the import, and HTTP calls are being acked.
        wait_until(
            lambda: _processed(node, "route-events") >= folded_before + 150 and len(sender.acked) >= 100,
            timeout=60,
            what="the node to be folding the import",
        )
        assert node.process is not None
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(10)
        sender.join(30)
        assert not sender.is_alive()
        acked |= sender.acked

        # While it is down the log keeps growing.
        assert _tracklog(node, "import", str(after)).returncode == 0
        if tables == "deleted":
            shutil.rmtree(node.data_dir / "node")
        node.start()
        await _drain(node, kafka, topics)
        await _check_every_event_counted_once(node, kafka, topics[0], acked)

    assert node.stop() == 0
    checked = _tracklog(node, "rebuild", "--check")
    assert checked.returncode == 0, checked.stderr
    assert "(equal)" in checked.stderr


async def _drain(node: NodeProcess, kafka: EmbeddedBroker, topics: list[str]) -> None:
    behind: dict[str, int] = {}

    def drained() -> bool:
        behind.update(asyncio.run(lag(kafka.bootstrap, node.env["TRACKLOG_TOPIC_PREFIX"], topics)))
        return not any(behind.values())

    try:
        await asyncio.to_thread(wait_until, drained, timeout=120, what="the node to drain the log")
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; records not committed, per topic: {behind}\n{_where_it_waits(node)}"
        ) from None


async def _check_every_event_counted_once(
    node: NodeProcess, kafka: EmbeddedBroker, events_topic: str, acked: set[str]
) -> None:
    keys = await keys_on(kafka.bootstrap, events_topic.removesuffix(".events") + ".keys")
    events = [event for _, event in logged_events(await all_records(kafka.bootstrap, events_topic), keys)]
    on_log = {event.message_id for event in events}
    assert acked <= on_log  # every acknowledged call was kept

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
