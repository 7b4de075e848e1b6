"""Identity resolution, merged profiles and timelines through a running node."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaProducer

from streams.ops.broker import EmbeddedBroker
from tests.integration.conftest import StartNode
from tests.keys import pseudonym, sealed_with_the_nodes_keys
from tests.nodes import NodeProcess
from tests.topics import read_json
from tests.waiting import wait_until

PROFILE = """
query ($id: String!, $idType: String) {
  profile(id: $id, idType: $idType) {
    id eventCount firstSeen lastSeen groups traits
    identities { type value }
    plan: trait(name: "plan") { value updatedAt messageId }
    merges { into from messageId eventType }
    timeline(first: 50) { edges { node { messageId type event source timestamp } } }
  }
}
"""


def _call(kind: str, message_id: str, minute: int, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "messageId": message_id, "timestamp": f"2026-11-20T10:{minute:02d}:00Z", **fields}


def _profile(node: NodeProcess, id: str, *, events: int, id_type: str | None = None) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        found = node.graphql(PROFILE, id=id, idType=id_type)["profile"]
        return found if found and found["eventCount"] >= events else None

    return wait_until(check, timeout=30, what=f"profile {id} with {events} events")


def test_anonymous_then_identify_then_alias_from_a_second_device(start_node: StartNode) -> None:
    node = start_node()
    batch = [
        _call("page", "m1", 0, anonymousId="laptop-1", name="Home"),
        _call("track", "m2", 1, anonymousId="laptop-1", event="Product Viewed", properties={"sku": "A"}),
        _call("identify", "m3", 2, anonymousId="laptop-1", userId="ada", traits={"email": "Ada@Example.com", "plan": "pro"}),
        _call("track", "m4", 3, anonymousId="phone-7", event="App Opened"),
        _call("alias", "m5", 4, previousId="phone-7", userId="ada"),
        _call("track", "m6", 5, userId="ada", event="Order Completed", properties={"total": 10}),
        _call("group", "m7", 6, userId="ada", groupId="org-1", traits={"name": "Org"}),
    ]
    assert node.post("/v1/batch", {"batch": batch}).status_code == 200

    profile = _profile(node, "ada", events=7)
    identities = {(i["type"], i["value"]) for i in profile["identities"]}
    assert {("user_id", "ada"), ("anonymous_id", "laptop-1"), ("anonymous_id", "phone-7"), ("email", "ada@example.com")} <= identities
    assert profile["traits"]["plan"] == "pro"
    assert profile["groups"] == ["org-1"]
    assert profile["firstSeen"].startswith("2026-11-20T10:00:00")
    assert profile["lastSeen"].startswith("2026-11-20T10:06:00")
    timeline = [e["node"]["messageId"] for e in profile["timeline"]["edges"]]
    assert timeline == ["m7", "m6", "m5", "m4", "m3", "m2", "m1"]  # newest first

    # Reachable by every id, as the same profile.
    for id, id_type in (("laptop-1", None), ("phone-7", "anonymous_id"), ("ada@example.com", "email")):
        assert _profile(node, id, events=7, id_type=id_type)["id"] == profile["id"]


def test_a_backfilled_older_identify_does_not_overwrite_a_newer_trait(start_node: StartNode) -> None:
    node = start_node()
    newer = _call("identify", "new", 30, userId="bob", traits={"plan": "enterprise"})
    assert node.post("/v1/batch", {"batch": [newer]}).status_code == 200
    _profile(node, "bob", events=1)
    older = _call("identify", "old", 5, userId="bob", traits={"plan": "free", "seats": 3})
    assert node.post("/v1/batch", {"batch": [older]}).status_code == 200

    profile = _profile(node, "bob", events=2)
    assert profile["plan"]["value"] == "enterprise"
    assert profile["plan"]["messageId"] == "new"
    assert profile["traits"]["seats"] == 3


def test_a_blocked_value_never_merges_two_users(start_node: StartNode) -> None:
    node = start_node()
    batch = [
        _call("identify", "a1", 0, userId="carol", anonymousId="null", traits={"plan": "a"}),
        _call("identify", "b1", 1, userId="dave", anonymousId="null", traits={"plan": "b"}),
        _call("track", "c1", 2, userId="dave", event="Marker"),
    ]
    assert node.post("/v1/batch", {"batch": batch}).status_code == 200
    dave = _profile(node, "dave", events=2)
    carol = _profile(node, "carol", events=1)
    assert carol["id"] != dave["id"]
    assert ("user_id", "dave") not in {(i["type"], i["value"]) for i in carol["identities"]}
    assert carol["traits"]["plan"] == "a" and dave["traits"]["plan"] == "b"


def test_an_alias_merges_two_profiles_and_logs_the_merge(start_node: StartNode) -> None:
    node = start_node()
    batch = [
        _call("identify", "e1", 0, anonymousId="web-1", userId="eve", traits={"plan": "pro"}),
        _call("identify", "e2", 1, anonymousId="ios-1", userId="eve-mobile", traits={"os": "ios"}),
    ]
    assert node.post("/v1/batch", {"batch": batch}).status_code == 200
    # Two profiles first: links of different users' partitions reach the graph in no
    # set order, and the alias merges only if both profiles exist before it.
    _profile(node, "eve", events=1)
    _profile(node, "eve-mobile", events=1)
    alias = _call("alias", "e3", 2, previousId="eve-mobile", userId="eve")
    assert node.post("/v1/batch", {"batch": [alias]}).status_code == 200

    def merged() -> dict[str, Any] | None:
        found = node.graphql(PROFILE, id="ios-1", idType=None)["profile"]
        return found if found and found["merges"] else None

    profile = wait_until(merged, timeout=30, what="the alias to merge both profiles")
    assert [m["messageId"] for m in profile["merges"]] == ["e3"]
    assert profile["merges"][0]["eventType"] == "ALIAS"
    assert profile["traits"] == {"plan": "pro", "os": "ios"}
    assert [e["node"]["messageId"] for e in profile["timeline"]["edges"]] == ["e3", "e2", "e1"]
    assert _profile(node, "eve", events=3)["id"] == profile["id"]


def test_a_link_record_with_a_bad_entry_applies_the_rest_and_dead_letters_it(
    start_node: StartNode, kafka: EmbeddedBroker
) -> None:
    node = start_node()
    prefix = node.env["TRACKLOG_TOPIC_PREFIX"]
    assert node.post("/v1/batch", {"batch": [_call("track", "m1", 0, anonymousId="tablet-3", event="Opened")]}).status_code == 200
    _profile(node, "tablet-3", events=1)

    grace, tablet = pseudonym("user_id", "grace"), pseudonym("anonymous_id", "tablet-3")

    async def produce() -> None:
        # As route-events states it: pseudonyms, and their names sealed under the data
        # key of the event's subject (grace's).
        names = await sealed_with_the_nodes_keys(
            kafka.bootstrap, f"{prefix}.keys", grace, [b"grace", b"tablet-3"], rows=True
        )
        good = {
            "l": {"a": {"k": "user_id", "v": grace}, "b": {"k": "anonymous_id", "v": tablet}},
            "c": {"m": "m9", "t": "identify", "ts": 1_795_000_000_000},
            "n": {grace: names[0].decode(), tablet: names[1].decode()},
        }
        record = orjson.dumps({"links": [{"l": {"a": {"k": "user_id"}}, "c": {}}, good]})
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(f"{prefix}.identity-links", key=b"links", value=record)
        finally:
            await producer.stop()

    asyncio.run(produce())
    # The good link applied: the anonymous profile is now reached by the user id too.
    merged = _profile(node, "grace", events=1)
    assert ("anonymous_id", "tablet-3") in {(i["type"], i["value"]) for i in merged["identities"]}
    [letter] = asyncio.run(read_json(kafka.bootstrap, f"{prefix}.dead-letter", 1))
    assert letter["topic"] == f"{prefix}.identity-links"
    assert letter["reason"].startswith("links[0]: ")
    metrics = httpx.get(f"{node.url}/metrics").text
    assert 'tracklog_dead_letters_total{agent="fold-identities"} 1.0' in metrics
