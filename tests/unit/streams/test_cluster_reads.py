"""The reads nodes forward to each other: run against real RocksDB, and through
``/internal/read`` over ASGI (the three-node test is tests/integration/test_cluster_reads.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette

from streams.adapters.rocksdict import DB, open_db, write
from streams.cluster.ops import Answer, Read, decode_answers, encode_batch, execute
from streams.cluster.endpoint import internal_read_route
from streams.cluster.tables import ClusterTable, LocalReads

SKIP = b"__offset__"
TOKEN = "internal-token"


def _db(tmp_path: Path) -> DB:
    db = open_db(str(tmp_path / "rows"))
    write(db, [(b"a:1", b"one"), (b"a:2", b"two"), (b"a:3", b"three"), (b"b:1", b"other"), (SKIP, b"7")])
    return db


def test_a_read_gets_a_row_or_scans_a_prefix_within_its_limit_either_way(tmp_path: Path) -> None:
    db = _db(tmp_path)
    assert execute(Read("t", 0, "get", b"a:2"), db, SKIP) == Answer(held=True, value=b"two")
    assert execute(Read("t", 0, "get", b"a:9"), db, SKIP) == Answer(held=True, value=None)
    assert execute(Read("t", 0, "scan", b"a:", b"a:2"), db, SKIP).rows == [(b"a:2", b"two"), (b"a:3", b"three")]
    assert execute(Read("t", 0, "scan", b"a:", limit=2), db, SKIP).rows == [(b"a:1", b"one"), (b"a:2", b"two")]
    backwards = execute(Read("t", 0, "scan", b"a:", b"a:2", backwards=True), db, SKIP)
    assert backwards.rows == [(b"a:2", b"two"), (b"a:1", b"one")]
    assert execute(Read("t", 0, "scan", b"__"), db, SKIP).rows == []  # bookkeeping is no row


async def test_a_table_reads_each_partition_and_merges_nothing_it_was_not_asked(tmp_path: Path) -> None:
    parts = [open_db(str(tmp_path / f"p{n}")) for n in range(2)]
    write(parts[0], [(b"c", b"2")])
    write(parts[1], [(b"c", b"3"), (b"k:1", b"x")])
    table = ClusterTable(LocalReads({"t": parts}), "t", 2)
    assert await table.get_each(b"c") == [b"2", b"3"]
    assert await table.get(b"k:1", 0) is None
    assert await table.get(b"k:1", 1) == b"x"
    assert await table.scan_each(b"k:") == [[], [(b"k:1", b"x")]]


def _client(db: DB) -> httpx.AsyncClient:
    held = {0: (db, SKIP)}
    app = Starlette(routes=[internal_read_route(lambda read: held.get(read.partition), TOKEN)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://node")


async def test_the_endpoint_answers_the_nodes_alone_and_says_what_it_does_not_hold(tmp_path: Path) -> None:
    body = encode_batch([Read("t", 0, "get", b"a:1"), Read("t", 1, "get", b"a:1")])
    async with _client(_db(tmp_path)) as client:
        for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": TOKEN}):
            refused = await client.post("/internal/read", content=body, headers=headers)
            assert refused.status_code == 401
            assert "internal token" in refused.json()["message"]
        answered = await client.post("/internal/read", content=body, headers={"authorization": f"Bearer {TOKEN}"})
    assert answered.status_code == 200
    assert decode_answers(answered.content) == [Answer(held=True, value=b"one"), Answer(held=False)]


async def test_a_body_that_is_no_batch_of_reads_is_refused_naming_what_is_wrong(tmp_path: Path) -> None:
    async with _client(_db(tmp_path)) as client:
        bad = await client.post(
            "/internal/read",
            content=encode_batch([Read("t", 0, "get", b"k")]).replace(b"get", b"put"),
            headers={"authorization": f"Bearer {TOKEN}"},
        )
    assert bad.status_code == 400
    assert "not a batch of reads" in bad.json()["message"]
    assert "$.reads[0]" in bad.json()["message"]
