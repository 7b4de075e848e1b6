"""Three nodes, with no standby copies and with one: every node answers every read as
one node holding everything would, forwarding what it does not serve (a standby copy
does not answer); and when a node is killed, a read of its partitions is refused (503,
naming the partition) until they have a new owner, never answered wrongly."""

from __future__ import annotations

import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.integration.conftest import StartNode
from tests.nodes import NodeProcess
from tests.waiting import wait_until

USERS = 12
EVENTS = 6  # track event names, so schemas spread over the partitions too
CLUSTER = {
    "TRACKLOG_PARTITIONS": "4",
    "TRACKLOG_SESSION_TIMEOUT": "6",
    "TRACKLOG_READ_WAIT": "1",
}

REGISTRY = """{
  sources { name eventCount }
  eventSchemas(source: "web") { type event eventCount version columns { path type count } }
  schemaChanges(first: 100) { totalCount edges { cursor node { source event path kind } } }
}"""
PROFILE = """query ($id: String!) {
  profile(id: $id) { id eventCount traits identities { type value } }
  timeline(id: $id, first: 10) { edges { node { messageId type } } }
}"""


def _calls() -> list[dict[str, Any]]:
    """Each person's anonymous visits, then their identify, then a signed-in event: the
    events of one person are keyed by two ids, so they land on different partitions."""
    calls: list[dict[str, Any]] = []
    for i in range(USERS):
        anon, user = f"anon-{i}", f"user-{i}"
        at = f"2026-11-20T10:{i:02d}"
        calls += [
            {"type": "track", "anonymousId": anon, "event": f"Event {i % EVENTS}", "messageId": f"{anon}-1",
             "properties": {"step": 1}, "timestamp": f"{at}:01Z"},
            {"type": "page", "anonymousId": anon, "name": "Home", "messageId": f"{anon}-2",
             "properties": {"path": "/"}, "timestamp": f"{at}:02Z"},
            {"type": "identify", "anonymousId": anon, "userId": user, "messageId": f"{user}-3",
             "traits": {"plan": f"plan-{i}"}, "timestamp": f"{at}:03Z"},
            {"type": "track", "userId": user, "event": f"Event {(i + 1) % EVENTS}", "messageId": f"{user}-4",
             "properties": {"step": 2, "total": 1.5}, "timestamp": f"{at}:04Z"},
        ]
    return calls


def _expected_profile(i: int) -> dict[str, Any]:
    return {
        "eventCount": 4,
        "traits": {"plan": f"plan-{i}"},
        "identities": sorted([f"anon_id:anon-{i}", f"user_id:user-{i}"]),
        "timeline": [f"user-{i}-4", f"user-{i}-3", f"anon-{i}-2", f"anon-{i}-1"],
    }


def _post(node: NodeProcess, query: str, **variables: Any) -> httpx.Response:
    return httpx.post(
        f"{node.url}/graphql", json={"query": query, "variables": variables}, headers=node.auth_headers, timeout=15
    )


def _profile(data: dict[str, Any]) -> dict[str, Any] | None:
    profile = data["profile"]
    if profile is None:
        return None
    return {
        "eventCount": profile["eventCount"],
        "traits": profile["traits"],
        "identities": sorted(f"{m['type'].replace('anonymous', 'anon')}:{m['value']}" for m in profile["identities"]),
        "timeline": [e["node"]["messageId"] for e in data["timeline"]["edges"]],
    }


def _registry_complete(data: dict[str, Any]) -> bool:
    folded = sum(schema["eventCount"] for schema in data["eventSchemas"])
    return data["sources"] == [{"name": "web", "eventCount": 4 * USERS}] and folded == 4 * USERS


class Reads:
    """Every read of the test, and what one node holding everything answers."""

    def __init__(self, registry: dict[str, Any]) -> None:
        self.registry = registry

    def wrong(self, node: NodeProcess) -> list[str]:
        """What ``node`` answered differently (a 503 naming a partition is no answer, so
        not wrong), or ["unavailable"] when it refused any read for now."""
        problems: list[str] = []
        refused = False
        reads = self._reads()
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda read: _post(node, read[0], **read[1]), reads))
        for (query, variables, expected), response in zip(reads, responses):
            if response.status_code == 503:
                body = response.json()
                assert body["data"] is None, body
                assert "partition" in body["errors"][0]["message"], body
                assert int(response.headers["retry-after"]) >= 1
                refused = True
                continue
            assert response.status_code == 200, response.text
            body = response.json()
            assert "errors" not in body, body
            found = body["data"] if query is REGISTRY else _profile(body["data"])
            if found != expected:
                problems.append(f"{variables or 'registry'}: {found} != {expected}")
        return problems or (["unavailable"] if refused else [])

    def _reads(self) -> list[tuple[str, dict[str, Any], Any]]:
        reads: list[tuple[str, dict[str, Any], Any]] = [(REGISTRY, {}, self.registry)]
        for i in range(USERS):
            reads += [
                (PROFILE, {"id": f"anon-{i}"}, _expected_profile(i)),
                (PROFILE, {"id": f"user-{i}"}, _expected_profile(i)),
            ]
        return reads


def _forwarded_to(nodes: list[NodeProcess]) -> set[str]:
    """The URLs of the nodes any of ``nodes`` forwarded a read to (``/metrics``)."""
    found: set[str] = set()
    for node in nodes:
        for line in httpx.get(f"{node.url}/metrics", timeout=5).text.splitlines():
            match = re.match(r'tracklog_forwarded_reads_total\{peer="([^"]+)"\} (\S+)', line)
            if match and float(match[2]) > 0:
                found.add(match[1])
    return found


def _start_cluster(start_node: StartNode, standby: str) -> list[NodeProcess]:
    settings = {**CLUSTER, "TRACKLOG_STANDBY_REPLICAS": standby}
    with ThreadPoolExecutor(3) as pool:
        return list(pool.map(lambda name: start_node(name, **settings), ["first", "second", "third"]))


@pytest.mark.parametrize("standby", ["0", "1"])
def test_every_node_answers_every_read_and_a_killed_owner_is_never_answered_for(
    start_node: StartNode, standby: str
) -> None:
    nodes = _start_cluster(start_node, standby)
    first = nodes[0]
    assert first.post("/v1/batch", {"batch": _calls()}).status_code == 200

    # Once the first node reads everything folded, that is the whole answer...
    def complete() -> dict[str, Any] | None:
        response = _post(first, REGISTRY)
        if response.status_code != 200 or not _registry_complete(response.json()["data"]):
            return None
        profiles = [_post(first, PROFILE, id=f"anon-{i}") for i in range(USERS)]
        if any(r.status_code != 200 or _profile(r.json()["data"]) != _expected_profile(i) for i, r in enumerate(profiles)):
            return None
        data: dict[str, Any] = response.json()["data"]
        return data

    registry = wait_until(complete, timeout=90, what="every event folded, as the first node reads it")
    assert registry["schemaChanges"]["totalCount"] == len(registry["schemaChanges"]["edges"]) > 0
    reads = Reads(registry)
    # ...and every node answers every read the same, each holding only a part.
    for node in nodes:
        wait_until(lambda: reads.wrong(node) == [] or None, timeout=30, what=f"{node.data_dir.name} to answer")

    # A command on any node goes through the log and reads its own outcome back, from
    # whichever node folds that schema.
    locked = nodes[1].graphql(
        """mutation { setColumnPolicy(source: "web", type: TRACK, event: "Event 0",
                                       path: "properties.step", policy: LOCK) { policy } }"""
    )
    assert locked["setColumnPolicy"] == {"policy": "LOCK"}

    # The internal endpoint is for the nodes alone.
    for headers in ({}, {"authorization": "Bearer not-the-token"}, first.auth_headers):
        refused = httpx.post(f"{first.url}/internal/read", content=b"\x81", headers=headers, timeout=5)
        assert refused.status_code == 401, refused.text

    # A node dies without a word: until the broker gives its partitions to the others,
    # their reads are refused; after, every read is right again; none is ever wrong. The
    # one killed serves a partition (the assignment may leave a node none): the others
    # forwarded reads to it.
    owners = _forwarded_to(nodes)
    victim = next((node for node in reversed(nodes) if node.url in owners), None)
    assert victim is not None, f"no node was forwarded a read: {owners}"
    victim.stop(signal.SIGKILL)
    survivors = [node for node in nodes if node is not victim]
    seen_refused = False
    deadline = time.monotonic() + 120
    while True:
        answers = [reads.wrong(node) for node in survivors]
        for answer in answers:
            assert answer in ([], ["unavailable"]), answer
        seen_refused = seen_refused or any(answers)
        if not any(answers):
            break
        assert time.monotonic() < deadline, "the killed node's partitions never got a new owner"
    assert seen_refused, "a killed owner's partitions were answered for before the rebalance"
