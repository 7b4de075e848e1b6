"""The /v1 edge over real HTTP semantics (ASGI) with a real producer and broker."""

from __future__ import annotations

import contextlib
import gzip
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka.partitioner import murmur2

from query.domain import Identifier
from query.domain.regulations import Regulation, RegulationType, SubjectType, Suppressions
from schemas import decode_event
from schemas.log import record_items
from schemas.sealed import SealError, Sealer
from streams.ops.broker import EmbeddedBroker
from streams.kafka.producer import EventProducer
from streams.settings import Settings
from streams.kafka.topics import ensure_topics
from tests.integration.edge import NOW_MS, edge_client
from tests.keys import TEST_SECRET
from tests.nodes import fresh_prefix
from query.domain.pseudonyms import Pseudonyms
from tests.topics import MemoryKeys, all_records, events_on, logged_events


TRACK = {"userId": "u1", "event": "Order Completed", "properties": {"total": 12.5}}


async def test_an_acknowledged_call_is_on_the_log_with_stamped_times(
    client: httpx.AsyncClient, kafka: EmbeddedBroker, topic: str, keys: MemoryKeys
) -> None:
    body = {
        **TRACK,
        "messageId": "m-1",
        # The client's clock runs an hour ahead: sentAt and timestamp both say so.
        "timestamp": "2026-11-20T11:00:00.000Z",
        "sentAt": "2026-11-20T11:00:05.000Z",
    }
    response = await client.post("/v1/track", json=body, auth=("test-key", ""))
    assert response.status_code == 200
    assert response.json() == {"success": True}

    [(record, event)] = await events_on(kafka.bootstrap, topic, 1, keys)
    assert record.key is None and event.identity_key == b"u1"
    assert b"\"userId\"" not in record.value and b"Order Completed" not in record.value  # sealed
    assert (event.source, event.message_id, event.event) == ("web", "m-1", "Order Completed")
    assert event.received_at_ms == NOW_MS
    assert event.timestamp_ms == NOW_MS - 5_000


async def test_batch_gzip_and_write_key_in_body(
    client: httpx.AsyncClient, kafka: EmbeddedBroker, topic: str, keys: MemoryKeys
) -> None:
    body = {
        "writeKey": "test-key",
        "batch": [
            {"type": "identify", "userId": "u2", "traits": {"plan": "pro"}},
            {"type": "track", "anonymousId": "a9", "event": "Viewed"},
        ],
    }
    response = await client.post(
        "/v1/batch",
        content=gzip.compress(orjson.dumps(body)),
        headers={"content-encoding": "gzip", "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    logged = await events_on(kafka.bootstrap, topic, 2, keys)
    assert sorted(event.identity_key for _, event in logged) == [b"a9", b"u2"]
    assert {event.message_id for _, event in logged}.isdisjoint({""})


async def test_a_users_events_stay_in_order_on_the_partition_of_their_key(
    client: httpx.AsyncClient, kafka: EmbeddedBroker, topic: str, keys: MemoryKeys
) -> None:
    # The partition a Java client picks for a key: murmur2 of the key over the
    # partitions. The key is the user's pseudonym: the log names nobody in clear.
    pseudonyms = Pseudonyms(TEST_SECRET.encode())
    users = [f"u{n}" for n in range(10)]
    calls = [
        {"type": "track", "userId": user, "event": "Viewed", "messageId": f"{user}-{i}"}
        for i in range(4)
        for user in users
    ]
    response = await client.post("/v1/batch", json={"batch": calls}, auth=("test-key", ""))
    assert response.status_code == 200, response.text
    records = await all_records(kafka.bootstrap, topic)
    logged = logged_events(records, keys)
    assert len(logged) == len(calls)
    # One record per partition for the request: the log pays per record, not per event.
    assert len(records) == 2
    for user in users:
        mine = [(record, event) for record, event in logged if event.identity_key == user.encode()]
        key = pseudonyms.value("user_id", user).encode()
        assert {record.partition for record, _ in mine} == {(murmur2(key) & 0x7FFFFFFF) % 2}
        assert [event.message_id for _, event in mine] == [f"{user}-{i}" for i in range(4)]


@pytest.mark.parametrize(
    ("path", "content", "status", "expected"),
    [
        ("/v1/track", b"{not json", 400, {"error": "invalid_event", "field": "body"}),
        ("/v1/track", b"[1, 2]", 400, {"error": "invalid_event", "field": "body"}),
        (
            "/v1/track",
            orjson.dumps({"event": "X"}),
            400,
            {"error": "invalid_event", "field": "userId", "index": None},
        ),
        (
            "/v1/track",
            orjson.dumps({"userId": "u", "event": "X", "properties": "nope"}),
            400,
            {"error": "invalid_event", "field": "properties"},
        ),
        (
            "/v1/batch",
            orjson.dumps({"batch": [TRACK | {"type": "track"}, {"type": "purchase", "userId": "u"}]}),
            400,
            {"error": "invalid_event", "field": "type", "index": 1},
        ),
        (
            "/v1/batch",
            orjson.dumps({"batch": [TRACK | {"type": "track"}, {"type": "track", "event": "X"}]}),
            400,
            {"error": "invalid_event", "field": "userId", "index": 1},
        ),
        (
            "/v1/batch",
            orjson.dumps({"batch": [TRACK | {"type": "track", "timestamp": "yesterday"}]}),
            400,
            {"error": "invalid_event", "field": "timestamp", "index": 0},
        ),
        ("/v1/batch", orjson.dumps({"batch": "x"}), 400, {"field": "batch"}),
        (
            "/v1/batch",
            orjson.dumps(
                {"batch": [TRACK | {"type": "track", "properties": {"blob": "x" * 33_000}}]}
            ),
            413,
            {"error": "payload_too_large", "index": 0},
        ),
        (
            "/v1/batch",
            orjson.dumps(
                {
                    "batch": [
                        TRACK | {"type": "track", "properties": {"blob": "x" * 30_000}}
                        for _ in range(20)
                    ]
                }
            ),
            413,
            {"error": "payload_too_large", "index": None},
        ),
    ],
    ids=[
        "invalid-json",
        "not-an-object",
        "no-identity",
        "properties-not-object",
        "unknown-type",
        "no-identity-in-batch",
        "bad-timestamp",
        "batch-not-list",
        "event-over-32kb",
        "request-over-500kb",
    ],
)
async def test_bad_input_is_a_clear_client_error(
    client: httpx.AsyncClient, path: str, content: bytes, status: int, expected: dict[str, Any]
) -> None:
    response = await client.post(
        path, content=content, auth=("test-key", ""), headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["message"]
    assert {k: body.get(k) for k in expected} == expected


async def test_write_key_is_required_outside_dev(client: httpx.AsyncClient) -> None:
    missing = await client.post("/v1/track", json=TRACK)
    unknown = await client.post("/v1/track", json=TRACK, auth=("who-knows", ""))
    assert (missing.status_code, missing.json()["error"]) == (401, "unauthorized")
    assert "missing write key" in missing.json()["message"]
    assert (unknown.status_code, unknown.json()["message"]) == (401, "unknown write key")


async def test_dev_mode_takes_an_unknown_key_as_the_source(
    producer: EventProducer, kafka: EmbeddedBroker, topic: str, keys: MemoryKeys
) -> None:
    async with edge_client(producer, dev=True, keys=keys) as client:
        response = await client.post("/v1/track", json=TRACK, auth=("ios-app", ""))
    assert response.status_code == 200
    [(_, event)] = await events_on(kafka.bootstrap, topic, 1, keys)
    assert event.source == "ios-app"


async def test_broker_gone_is_503_with_retry_after(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path / "kafka", Settings().kafka_libs)
    broker.start()
    try:
        name = f"{fresh_prefix()}.events"
        await ensure_topics(broker.bootstrap, [(name, 1, {})])
        producer = EventProducer(broker.bootstrap, name, timeout=2)
        await producer.start()
        try:
            async with edge_client(producer, keys=MemoryKeys()) as client:
                ok = await client.post("/v1/track", json=TRACK, auth=("test-key", ""))
                assert ok.status_code == 200
                broker.kill()
                response = await client.post("/v1/track", json=TRACK, auth=("test-key", ""))
        finally:
            await producer.stop()
        assert response.status_code == 503
        assert response.headers["retry-after"].isdigit()
        assert response.json()["error"] == "broker_unavailable"
    finally:
        broker.stop()


async def test_browsers_may_post_from_any_origin(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/v1/t",
        headers={"origin": "https://shop.example", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://shop.example")
    response = await client.post(
        "/v1/t",
        content=orjson.dumps(TRACK | {"writeKey": "test-key"}),
        headers={"origin": "https://shop.example", "content-type": "text/plain"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"


def _suppressing(kind: str, value: str, n: int) -> Regulation:
    member = Identifier(kind, Pseudonyms(TEST_SECRET.encode()).value(kind, value))
    return Regulation(f"r-{n}", RegulationType.SUPPRESS_ONLY, SubjectType.USER_ID, (member,), (member,), 0)


async def test_a_person_the_edge_knows_is_suppressed_and_sealed_anew_as_soon_as_that_changes(
    producer: EventProducer, kafka: EmbeddedBroker, topic: str
) -> None:
    # The edge keeps each person it met ready (their subject, sealer and whether they are
    # suppressed): a suppression or a deleted key that comes later holds for the next call.
    keys, suppressions = MemoryKeys(), Suppressions()
    track = {"type": "track", "userId": "u1", "anonymousId": "a1", "event": "Viewed"}
    identify = {"type": "identify", "userId": "u1", "anonymousId": "a1", "traits": {"email": "U1@example.com"}}

    async def send(*calls: dict[str, Any]) -> None:
        response = await client.post("/v1/batch", json={"batch": list(calls)}, auth=("test-key", ""))
        assert response.status_code == 200, response.text

    async with edge_client(producer, keys=keys, suppressions=suppressions) as client:
        await send({**track, "messageId": "m1"}, {**identify, "messageId": "m2"})
        suppressions.apply(_suppressing("email", "u1@example.com", 1))
        await send({**track, "messageId": "m3"}, {**identify, "messageId": "m4"})  # m4 names the email
        suppressions.apply(_suppressing("anonymous_id", "a1", 2))
        await send({**track, "messageId": "m5"}, {**track, "anonymousId": None, "messageId": "m6"})
        subject = Pseudonyms(TEST_SECRET.encode()).value("user_id", "u1")
        (before,) = keys.known.values()
        keys.forget(subject)
        await send({**track, "anonymousId": None, "messageId": "m7"})
    (after,) = keys.known.values()
    assert after != before
    records = [r for r in sorted(await all_records(kafka.bootstrap, topic), key=lambda r: r.offset)]
    sealed = [(envelope, index) for r in records for index, envelope in enumerate(record_items(r.value))]
    opened: list[tuple[str, str]] = []
    for envelope, index in sealed:
        for name, material in (("before", before), ("after", after)):
            with contextlib.suppress(SealError):
                opened.append((decode_event(Sealer().open(envelope, material), index).message_id, name))
    assert sorted(opened) == [("m1", "before"), ("m2", "before"), ("m3", "before"), ("m6", "before"), ("m7", "after")]
