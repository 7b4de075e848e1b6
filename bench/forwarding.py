"""A read forwarded to the node that serves its partition, against the same read
answered where it is held: two nodes on one prefix, no standby copies.

``EVENTS`` event names are sent (``PER_EVENT`` events each), so their schemas spread
over the partitions, hence over the two nodes. Once both nodes answer every count,
each name's ``eventSchema`` (with every column) is read once from each node, and the
node's ``tracklog_forwarded_reads_total`` says which of the two forwarded it (with
two nodes and no standby copy, exactly one holds it). Then the same reads run back
to back, ``ROUNDS`` rounds of every name on both nodes, one client, keep-alive; each
latency is the client's, loopback HTTP included. The goal: a forwarded read's p99 is
at most 2x a local read's p99 + 2 ms.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson

from bench.harness import SOURCE, WRITE_KEY, Section, fresh_prefix, graphql_headers, node_process, percentiles
from streams.ops.broker import EmbeddedBroker
from tests.nodes import NodeProcess
from tests.waiting import wait_until

logger = logging.getLogger(__name__)

EVENTS = 16
PER_EVENT = 20
COLUMNS = 20
QUERY = """query ($event: String!) { eventSchema(source: "%s", type: TRACK, event: $event) {
  version eventCount columns { path type count nullable } } }""" % SOURCE


def _calls() -> list[dict[str, object]]:
    return [
        {
            "type": "track",
            "userId": f"user-{n}",
            "event": f"Event {e}",
            "messageId": f"m-{e}-{n}",
            "properties": {f"p{c}": n + c for c in range(COLUMNS)},
        }
        for e in range(EVENTS)
        for n in range(PER_EVENT)
    ]


def _forwarded(client: httpx.Client, node: NodeProcess) -> float:
    """How many reads ``node`` has forwarded so far (its /metrics)."""
    total = 0.0
    for line in client.get(f"{node.url}/metrics").text.splitlines():
        if line.startswith("tracklog_forwarded_reads_total"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _read(client: httpx.Client, node: NodeProcess, event: str) -> dict[str, object]:
    body = orjson.dumps({"query": QUERY, "variables": {"event": event}})
    response = client.post(f"{node.url}/graphql", content=body, headers=graphql_headers())
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()["data"]["eventSchema"]
    return data


def _measure(nodes: list[NodeProcess], rounds: int) -> tuple[list[float], list[float]]:
    events = [f"Event {e}" for e in range(EVENTS)]
    with httpx.Client(timeout=10) as client:
        for node in nodes:

            def counted(node: NodeProcess = node) -> bool | None:
                return all((_read(client, node, e) or {}).get("eventCount") == PER_EVENT for e in events) or None

            wait_until(counted, timeout=120, what="both nodes to answer every schema")
        # Which node forwards which read: the one whose counter moves.
        forwards: dict[tuple[int, str], bool] = {}
        for n, node in enumerate(nodes):
            for event in events:
                before = _forwarded(client, node)
                _read(client, node, event)
                forwards[n, event] = _forwarded(client, node) > before
        local: list[float] = []
        forwarded: list[float] = []
        for _ in range(rounds):
            for n, node in enumerate(nodes):
                for event in events:
                    started = time.perf_counter()
                    _read(client, node, event)
                    (forwarded if forwards[n, event] else local).append((time.perf_counter() - started) * 1000)
    return local, forwarded


def main(broker: EmbeddedBroker, directory: Path, quick: bool) -> list[Section]:
    prefix = fresh_prefix("forwarding")
    rounds = 10 if quick else 100
    with node_process(broker, directory / "a", prefix) as first, node_process(broker, directory / "b", prefix) as second:
        nodes = [first, second]
        for node in nodes:
            node.env["TRACKLOG_STANDBY_REPLICAS"] = "0"
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda node: node.start(ready_timeout=120), nodes))
        sent = first.post("/v1/batch", {"batch": _calls()}, key=WRITE_KEY)
        assert sent.status_code == 200, sent.text
        local, forwarded = _measure(nodes, rounds)
    if not local or not forwarded:
        return [("Forwarded reads", [("reads", f"{len(local)} local, {len(forwarded)} forwarded: no pair to compare")])]
    (local_p50, local_p99), (forwarded_p50, forwarded_p99) = percentiles(local), percentiles(forwarded)
    bound = 2 * local_p99 + 2
    verdict = "met" if forwarded_p99 <= bound else "NOT met"
    rows = [
        (f"eventSchema ({COLUMNS} columns), held by the node asked", f"p50 {local_p50:.1f} ms, p99 {local_p99:.1f} ms ({len(local)} reads)"),
        (
            "the same, forwarded to the node that holds it",
            f"p50 {forwarded_p50:.1f} ms, p99 {forwarded_p99:.1f} ms ({len(forwarded)} reads)",
        ),
        ("goal: forwarded p99 ≤ 2 × local p99 + 2 ms", f"{forwarded_p99:.1f} ≤ {bound:.1f} ms: {verdict}"),
    ]
    return [("Forwarded reads: two nodes, no standby copies (loopback HTTP)", rows)]

