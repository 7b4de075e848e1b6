"""The /v1 edge under hostile requests, over a real producer and broker.

Whatever the body, encoding and headers, the answer comes promptly and is a 200 or a
4xx with a JSON error body that says what was wrong: never a 5xx, never a hang.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from schemas import EventType, SchemaError
from streams.ops.broker import EmbeddedBroker
from tests.hostile import BOMB, batch_bodies, bodies, encoded, parse_request, single_bodies
from tests.integration.edge import NOW_MS, WRITE_KEY
from tests.topics import MemoryKeys, events_on

ENDPOINTS: dict[str, EventType | None] = {
    "/v1/track": EventType.TRACK,
    "/v1/identify": EventType.IDENTIFY,
    "/v1/page": EventType.PAGE,
    "/v1/screen": EventType.SCREEN,
    "/v1/group": EventType.GROUP,
    "/v1/alias": EventType.ALIAS,
    "/v1/batch": None,
}
PATHS = [*ENDPOINTS, "/v1/t", "/v1/import"]  # and two of the aliases SDKs use
ERRORS = {400: "invalid_event", 401: "unauthorized", 413: "payload_too_large"}

VALID_AUTH = b"Basic " + base64.b64encode(b"test-key:")
# Header values a real HTTP server lets through: no CR, LF or NUL.
header_bytes = st.binary(max_size=24).map(lambda b: b.translate(None, b"\r\n\x00"))
HOSTILE_AUTH = [
    b"Basic \xe9t\xe9",  # not base64, not even ASCII
    b"Basic !!!!",
    b"Basic " + base64.b64encode(b"\xff\xfe:"),  # base64 of bytes that are not UTF-8
    b"Basic " + base64.b64encode(b":"),
    b"Bearer test-key",
    b"",
]
# Mostly the valid key, so that most bodies reach the parser.
authorizations = st.one_of(
    *[st.just(VALID_AUTH)] * 4,
    st.sampled_from(HOSTILE_AUTH),
    header_bytes.map(lambda b: b"Basic " + b),
)
# '²' and '٣' are digits to Python's str.isdigit, and not to int().
content_lengths = st.none() | st.sampled_from([b"\xb2", b"\xd9\xa3", b"1e3", b"-1", b"9" * 20])
requests = st.fixed_dictionaries(
    {"path": st.sampled_from(PATHS), "authorization": authorizations},
    optional={
        "content_length": content_lengths,
        "content_type": st.sampled_from([b"application/json", b"text/plain", b"\xff/\xfe"]),
    },
)


def check_answer(response: httpx.Response) -> None:
    """A 200 acknowledging the write, or a client error naming what was wrong."""
    assert response.status_code == 200 or response.status_code in ERRORS, response.text
    body = response.json()
    if currently_in_test_context():
        event(f"{response.status_code} {body.get('field') or body.get('error') or ''}")
    if response.status_code == 200:
        assert body == {"success": True}
        return
    assert body["success"] is False
    assert body["error"] == ERRORS[response.status_code], body
    assert body["message"], body


async def post(
    client: httpx.AsyncClient, request: dict[str, Any], content: bytes, encoding: str | None
) -> httpx.Response:
    headers: dict[str, bytes | str] = {"authorization": request["authorization"]}
    if encoding is not None:
        headers["content-encoding"] = encoding
    for name in ("content_length", "content_type"):
        if request.get(name) is not None:
            headers[name.replace("_", "-")] = request[name]
    async with asyncio.timeout(10):  # a hung request fails here
        return await client.post(request["path"], content=content, headers=headers)


fuzz = settings(
    max_examples=60,
    deadline=None,
    # One client and producer serve every example; they keep no state between requests.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@fuzz
@given(request=requests, raw=bodies)
async def test_hostile_bodies_get_a_200_or_a_json_client_error(
    client: httpx.AsyncClient, request: dict[str, Any], raw: bytes
) -> None:
    check_answer(await post(client, request, raw, None))


@fuzz
@given(request=requests, body=encoded)
async def test_hostile_encodings_get_a_200_or_a_json_client_error(
    client: httpx.AsyncClient, request: dict[str, Any], body: tuple[str, bytes]
) -> None:
    encoding, content = body
    check_answer(await post(client, request, content, encoding))


SINGLE_PATHS = sorted(path for path, endpoint in ENDPOINTS.items() if endpoint is not None)
near_valid = st.tuples(st.sampled_from(SINGLE_PATHS), single_bodies) | st.tuples(
    st.just("/v1/batch"), batch_bodies
)


@fuzz
@given(near_valid)
async def test_the_edge_answers_as_the_parser_decides(
    client: httpx.AsyncClient, request: tuple[str, bytes]
) -> None:
    """Calls close to valid: accepted over HTTP exactly when the pure parser accepts them."""
    path, raw = request
    response = await post(client, {"path": path, "authorization": VALID_AUTH}, raw, None)
    check_answer(response)
    try:
        parse_request(raw, ENDPOINTS[path], NOW_MS)
    except SchemaError as error:
        assert response.status_code in (400, 413), response.text
        assert {k: response.json()[k] for k in ("error", "index", "field")} == {
            k: error.to_dict()[k] for k in ("error", "index", "field")
        }
        return
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        ("Basic \xe9t\xe9", 401),  # not ASCII: base64 of it is a ValueError, not a binascii.Error
        ("Basic " + base64.b64encode(b"\xff:").decode(), 401),
        (VALID_AUTH.decode(), 200),
    ],
)
async def test_an_authorization_header_of_any_bytes_is_a_client_error(
    client: httpx.AsyncClient, authorization: str, status: int
) -> None:
    response = await client.post(
        "/v1/track",
        content=orjson.dumps({"userId": "u", "event": "E"}),
        headers={"authorization": authorization.encode("latin-1")},
    )
    check_answer(response)
    assert response.status_code == status


@pytest.mark.parametrize("declared", [b"\xb2", b"\xd9\xa3", b"1e3"])
async def test_a_content_length_that_is_no_number_is_ignored(
    client: httpx.AsyncClient, declared: bytes
) -> None:
    """'²'.isdigit() is true in Python, but int('²') fails; the body is measured as it streams."""
    response = await client.post(
        "/v1/track",
        content=orjson.dumps({"userId": "u", "event": "E"}),
        headers={"authorization": VALID_AUTH, "content-length": declared},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (gzip.compress(b'{"userId": "u", "event": "E"}')[:-4], "truncated"),
        (gzip.compress(b'{"userId": "u", "event": "E"}') + b"junk", "invalid gzip data"),
        (b"", "truncated"),
    ],
    ids=["truncated", "trailing-junk", "empty"],
)
async def test_bad_gzip_is_a_400_naming_the_body(
    client: httpx.AsyncClient, content: bytes, reason: str
) -> None:
    response = await client.post(
        "/v1/track",
        content=content,
        headers={"authorization": VALID_AUTH, "content-encoding": "gzip"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "body"
    assert reason in response.json()["message"]


async def test_a_gzip_bomb_is_a_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/batch", content=BOMB, headers={"authorization": VALID_AUTH, "content-encoding": "gzip"}
    )
    assert (response.status_code, response.json()["error"]) == (413, "payload_too_large")


async def test_gzip_members_are_read_one_after_another(
    client: httpx.AsyncClient, kafka: EmbeddedBroker, topic: str, keys: MemoryKeys
) -> None:
    """RFC 1952 allows a file of several members, as `cat a.gz b.gz` makes."""
    body = orjson.dumps({"userId": "u", "event": "Concatenated", "messageId": "m-gz"})
    half = len(body) // 2
    content = gzip.compress(body[:half]) + gzip.compress(body[half:])
    response = await client.post(
        "/v1/track", content=content, headers={"authorization": VALID_AUTH, "content-encoding": "gzip"}
    )
    assert response.status_code == 200, response.text
    [(_, event)] = await events_on(kafka.bootstrap, topic, 1, keys)
    assert event.message_id == "m-gz"


async def test_hostile_property_names_reach_the_log_intact(
    client: httpx.AsyncClient, kafka: EmbeddedBroker, topic: str, keys: MemoryKeys
) -> None:
    properties = {"": 1, "a.b": 2, "[]": 3, "x[0]": 4, "\\_": 5, "é🎉": 6, "\u0000": 7, "big": 2**64 - 1}
    response = await client.post(
        "/v1/track",
        content=orjson.dumps({"userId": "u", "event": "E", "properties": properties}),
        auth=WRITE_KEY,
    )
    assert response.status_code == 200, response.text
    [(_, event)] = await events_on(kafka.bootstrap, topic, 1, keys)
    assert event.properties == properties
