"""Forgetting a person through the log, as a data-governance owner does it.

Real nodes against the session broker. "Nothing readable" is checked as an attacker
holding everything would: every topic of the prefix read from offset 0 through a
client (so compressed batches are read), every RocksDB table on the node's disk, every
sealed value among them opened with every data key the keys topic still holds; and
the answer must not contain the person's ids, email or a trait only they had. The
same search finds the neighbour left alone, so it is a search that finds things.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import signal
import subprocess
from typing import Any

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from rocksdict import AccessType, Rdict

from schemas.log import record_items
from schemas.sealed import SealError
from streams.folds.privacy import Keys
from streams.ops.broker import EmbeddedBroker
from tests.integration.conftest import StartNode
from tests.keys import privacy
from tests.nodes import TRACKLOG, NodeProcess
from tests.topics import all_records, keys_on, logged_events
from tests.waiting import wait_until

ADA = {"user_id": "ada-1", "anonymous_id": "anon-ada", "email": "ada@example.com"}
ADA_TRAIT = "ZQX-unique-trait-7731"
NEEDLES = [*ADA.values(), ADA_TRAIT]
BOB_EMAIL = "bob@example.com"
CALLS = [
    {
        "type": "identify",
        "userId": "ada-1",
        "anonymousId": "anon-ada",
        "traits": {"email": "ada@example.com", "favourite": ADA_TRAIT},
    },
    {"type": "track", "userId": "ada-1", "event": "Order Completed", "properties": {"total": 42}},
    {"type": "track", "anonymousId": "anon-ada", "event": "Page Viewed", "properties": {"path": "/"}},
    {"type": "identify", "userId": "bob-2", "traits": {"email": BOB_EMAIL, "plan": "free"}},
    {"type": "track", "userId": "bob-2", "event": "Order Completed", "properties": {"total": 7}},
]
FAST = {"TRACKLOG_FORGET_WITHIN_MS": "1000"}
PROFILE = "query ($id: String!) { profile(id: $id) { id eventCount traits identities { type value } } }"
TIMELINE = "query ($id: String!) { timeline(id: $id) { edges { node { messageId } } } }"
COUNTS = '{ sources { name eventCount } eventSchema(source: "web", type: TRACK, event: "Order Completed") { eventCount } }'
REGULATION = "query ($id: ID!) { regulation(id: $id) { id status finishedAt steps { name status error } } }"
CREATE = """mutation ($type: RegulationType!, $subjectType: SubjectType!, $ids: [String!]!) {
  createRegulation(type: $type, subjectType: $subjectType, subjectIds: $ids) { id type subjectType status } }"""
ENVELOPE = re.compile(rb'\{"s":"[^"]*","k":"[^"]*","c":"[^"]*"\}')  # a row's
BINARY_IN_JSON = re.compile(rb'"(AQ[A-Za-z0-9+/]+=*)"')  # an event's, quarantined


def _load(node: NodeProcess) -> dict[str, Any]:
    assert node.post("/v1/batch", {"batch": CALLS}).status_code == 200
    wait_until(
        lambda: (node.graphql(PROFILE, id="ada-1")["profile"] or {}).get("eventCount") == 3
        and (node.graphql(PROFILE, id="bob-2")["profile"] or {}).get("eventCount") == 2,
        timeout=60,
        what="both people's events to be folded",
    )
    profile = node.graphql(PROFILE, id="ada-1")["profile"]
    assert {i["value"] for i in profile["identities"]} == set(ADA.values())  # one profile, three ids
    return node.graphql(PROFILE, id="bob-2")["profile"]


def _regulate(node: NodeProcess, kind: str, subject_type: str, ids: list[str]) -> str:
    made = node.graphql(CREATE, type=kind, subjectType=subject_type, ids=ids)["createRegulation"]
    assert (made["type"], made["subjectType"]) == (kind, subject_type)
    return str(made["id"])


def _finished(node: NodeProcess, regulation: str, timeout: float = 90) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        found = node.graphql(REGULATION, id=regulation)["regulation"]
        assert found["status"] not in ("FAILED", "PARTIAL_SUCCESS"), found
        return found if found["status"] == "FINISHED" else None

    return wait_until(done, timeout=timeout, what=f"regulation {regulation} to finish")


async def _topics(bootstrap: str, prefix: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return sorted(t for t in await admin.list_topics() if t.startswith((f"{prefix}.", f"{prefix}-")))
    finally:
        await admin.close()


def _readable(blobs: list[bytes], keys: Keys) -> bytes:
    """Everything ``blobs`` hold that anyone could read: their bytes, and every sealed
    value in them that opens with ``keys``."""
    opener, found = privacy(keys), []
    for blob in blobs:
        found.append(blob)
        for envelope in _envelopes_in(blob):
            try:
                opened = opener.open(envelope)
            except SealError:
                opened = None
            if opened is not None:
                found.append(opened[0])
    return b"\n".join(found)


def _envelopes_in(blob: bytes) -> list[bytes]:
    """Every sealed value ``blob`` (a record's or a row's key and value) may hold: rows'
    JSON envelopes, events' binary ones (an events record's, a timeline row's value, or
    base64 in a quarantined event)."""
    found = ENVELOPE.findall(blob.replace(b'\\"', b'"'))
    found += [base64.b64decode(b64) for b64 in BINARY_IN_JSON.findall(blob)]
    value = blob.partition(b"\n")[2]
    if value[:1] == b"\x01":
        found.append(value)
        with contextlib.suppress(ValueError):
            found += record_items(value)
    return found


async def _on_the_topics(kafka: EmbeddedBroker, prefix: str, topics: list[str] | None = None) -> bytes:
    keys = await keys_on(kafka.bootstrap, f"{prefix}.keys")
    blobs = [
        (record.key or b"") + b"\n" + (record.value or b"")
        for topic in topics or await _topics(kafka.bootstrap, prefix)
        for record in await all_records(kafka.bootstrap, topic)
    ]
    return _readable(blobs, keys)


async def _in_the_tables(kafka: EmbeddedBroker, node: NodeProcess) -> bytes:
    """Every row of every RocksDB table the (stopped) node left on its disk."""
    keys = await keys_on(kafka.bootstrap, f"{node.env['TRACKLOG_TOPIC_PREFIX']}.keys")
    blobs: list[bytes] = []
    databases = sorted((node.data_dir / "node").glob("**/tables/*.db"))
    assert databases, "the node left no tables"
    for path in databases:
        db = Rdict(str(path), access_type=AccessType.read_only())
        try:
            blobs += [bytes(k) + b"\n" + bytes(v) for k, v in db.items()]
        finally:
            db.close()
    return _readable(blobs, keys)


def _forgotten(readable: bytes) -> None:
    assert BOB_EMAIL.encode() in readable  # the search finds what is there
    assert [n for n in NEEDLES if n.encode() in readable] == []


def _nothing_answers(node: NodeProcess) -> None:
    for value in ADA.values():
        assert node.graphql(PROFILE, id=value)["profile"] is None
        assert node.graphql(TIMELINE, id=value)["timeline"]["edges"] == []


def _tracklog(node: NodeProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACKLOG_DATA_DIR": str(node.data_dir), **node.env}
    return subprocess.run([TRACKLOG, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.timeout(300)
async def test_after_a_deletion_nothing_readable_remains_not_even_after_a_rebuild(
    start_node: StartNode, kafka: EmbeddedBroker
) -> None:
    node = start_node(**FAST)
    prefix = node.env["TRACKLOG_TOPIC_PREFIX"]
    bob = _load(node)
    counts = node.graphql(COUNTS)
    # Readable until forgotten, in the events log too (the search opens its envelopes).
    assert ADA_TRAIT.encode() in await _on_the_topics(kafka, prefix, [f"{prefix}.events"])

    # By email: the subject is the whole profile, every id linked to it.
    regulation = _finished(node, _regulate(node, "DELETE_ONLY", "EMAIL", [" Ada@Example.com"]))
    assert [s["name"] for s in regulation["steps"] if s["status"] != "FINISHED"] == []

    _nothing_answers(node)
    _forgotten(await _on_the_topics(kafka, prefix))
    assert node.graphql(PROFILE, id="bob-2")["profile"] == bob  # the neighbour is untouched
    assert node.graphql(COUNTS) == counts  # the registry keeps its aggregates
    assert node.stop() == 0
    _forgotten(await _in_the_tables(kafka, node))

    rebuilt = _tracklog(node, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    node.start()
    wait_until(lambda: node.graphql(PROFILE, id="bob-2")["profile"] == bob, timeout=60, what="bob, rebuilt")
    _nothing_answers(node)
    assert node.graphql(COUNTS) == counts
    _forgotten(await _on_the_topics(kafka, prefix))
    assert node.stop() == 0
    _forgotten(await _in_the_tables(kafka, node))


@pytest.mark.timeout(240)
async def test_a_deletion_cut_short_by_sigkill_finishes_after_the_restart(
    start_node: StartNode, kafka: EmbeddedBroker
) -> None:
    # Compaction takes a minute here: the node is killed while the regulation waits on it.
    node = start_node(TRACKLOG_FORGET_WITHIN_MS="60000", TRACKLOG_SESSION_TIMEOUT="6")
    _load(node)
    regulation = _regulate(node, "SUPPRESS_WITH_DELETE", "USER_ID", ["ada-1"])
    wait_until(
        lambda: {s["name"]: s["status"] for s in node.graphql(REGULATION, id=regulation)["regulation"]["steps"]}[
            "raw log"
        ]
        == "RUNNING",
        timeout=60,
        what="the data keys to be deleted",
    )
    assert node.process is not None
    node.process.send_signal(signal.SIGKILL)
    node.process.wait(10)
    node.env.update(FAST)
    node.start()
    _finished(node, regulation)
    _nothing_answers(node)
    _forgotten(await _on_the_topics(kafka, node.env["TRACKLOG_TOPIC_PREFIX"]))


@pytest.mark.timeout(240)
async def test_a_suppression_holds_on_every_node_and_a_retry_is_not_written_either(
    start_node: StartNode, kafka: EmbeddedBroker
) -> None:
    first = start_node("first", **FAST)
    second = start_node("second", **FAST)
    prefix = first.env["TRACKLOG_TOPIC_PREFIX"]
    _regulate(first, "SUPPRESS_ONLY", "USER_ID", ["carol-3"])
    call = {"type": "track", "userId": "carol-3", "event": "Order Completed", "messageId": "m-carol"}
    for _ in range(2):  # the SDK's call, then its retry: both answered as any other
        response = second.post("/v1/track", call)
        assert (response.status_code, response.json()) == (200, {"success": True})
    assert second.post("/v1/track", {**call, "userId": "dave-4", "messageId": "m-dave"}).status_code == 200
    suppressed = _metric(second, "tracklog_suppressed_events_total")
    assert suppressed == 2

    keys = await keys_on(kafka.bootstrap, f"{prefix}.keys")
    logged = logged_events(await all_records(kafka.bootstrap, f"{prefix}.events"), keys)
    assert [event.message_id for _, event in logged] == ["m-dave"]


def _metric(node: NodeProcess, name: str) -> float:
    for line in httpx.get(f"{node.url}/metrics", timeout=5).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


async def test_a_regulation_of_an_id_nobody_has_seen_finishes_with_nothing_to_do(
    start_node: StartNode,
) -> None:
    node = start_node(**FAST)
    regulation = _finished(node, _regulate(node, "DELETE_ONLY", "ANONYMOUS_ID", ["never-seen"]))
    assert regulation["finishedAt"] is not None
    listed = node.graphql("{ regulations(first: 5) { edges { node { id status } } pageInfo { hasNextPage } } }")
    assert listed["regulations"]["edges"] == [{"node": {"id": regulation["id"], "status": "FINISHED"}}]

