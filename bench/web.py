"""The analyst's pages over HTTP, with 1,000 schemas of 50 columns loaded.

A fresh node folds ``SCHEMAS`` track schemas of ``COLUMNS`` columns each (one event
per schema, then a second for every tenth that turns a STRING column into a
conflict), sent over ``/v1/batch``. One signed-in client (the session cookie, as a
browser sends it) then reads each page in turn, back to back with a short pause
(``PAUSE``), and times each from sending the GET to having the whole page: the
sources page, the first page (200 rows) of the source's schemas table, one schema, one
column, the changes feed (every change of every schema, newest first: 50,000 of
them, read from the schema-change index) and a profile; the feed's first read (no row
decoded yet) is on a row of its own. First ``ROUNDS`` rounds at idle, then during a
full-speed ``tracklog import``, as ``bench.serving`` reads GraphQL.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import httpx

from bench.harness import (
    SOURCE,
    TOKEN,
    WRITE_KEY,
    Section,
    fresh_prefix,
    percentiles,
    running_node,
    wait_drained,
    write_load,
)
from bench.metrics import pauses
from bench.serving import LOOP_MEANWHILE, PAUSE, Samples, Serving, latency_rows
from query.web.security import SESSION_COOKIE, encode_session
from streams.ops.broker import EmbeddedBroker
from tests.nodes import NodeProcess

logger = logging.getLogger(__name__)

SCHEMAS = 1_000
COLUMNS = 50
USER = "bench-web-user"
# Events of the import read during: ~3 rounds of pages a second, so 90,000 (~30 s) gives
# each page ~100 reads, and its p99 is not simply its slowest read (as in bench.serving).
IMPORTED = 90_000


def _calls(schemas: int, columns: int) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for s in range(schemas):
        properties: dict[str, Any] = {f"c{c:02d}": (f"v{c}" if c % 3 else c) for c in range(columns)}
        calls.append(_track(s, "a", properties, 0))
        if s % 10 == 0:
            calls.append(_track(s, "b", {"c01": 1}, 1))  # a number in a STRING column
    return calls


def _track(s: int, n: str, properties: dict[str, Any], second: int) -> dict[str, Any]:
    return {
        "type": "track", "userId": USER, "event": f"Event {s:04d}", "messageId": f"web-{s}-{n}",
        "timestamp": f"2026-11-20T10:{s % 60:02d}:{second:02d}Z", "properties": properties,
    }


def _pages(schemas: int, columns: int) -> list[tuple[str, str]]:
    schema = f"source={SOURCE}&type=track&event={quote('Event 0000')}"
    return [
        ("/ (sources)", "/"),
        (f"/schemas (the first 200 of {schemas:,} schemas)", f"/schemas?source={SOURCE}"),
        (f"/schema ({columns} columns)", f"/schema?{schema}"),
        ("/schema with a diff", f"/schema?{schema}&from=1&to={columns + 1}"),
        ("/column", f"/column?{schema}&path=properties.c01"),
        ("/changes (newest 50 of all)", "/changes"),
        ("/profiles (a profile and its timeline)", f"/profiles?id={USER}"),
    ]


class PageReader:
    """One signed-in client reading every page in turn, timing each (as bench.serving.Reader)."""

    def __init__(self, session: aiohttp.ClientSession, schemas: int, columns: int) -> None:
        self._session = session
        self._pages = _pages(schemas, columns)

    async def read(self, path: str) -> float:
        started = time.perf_counter()
        async with self._session.get(path, allow_redirects=False) as response:
            body = await response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}: {body[:300]!r}")
        return elapsed

    async def round(self, samples: Samples) -> None:
        for name, path in self._pages:
            samples.setdefault(name, []).append(await self.read(path))
            await asyncio.sleep(PAUSE)

    async def until(self, done: Any) -> Samples:
        samples: Samples = {}
        while not done():
            await self.round(samples)
        return samples


async def _send(node: NodeProcess, calls: list[dict[str, Any]]) -> None:
    async with aiohttp.ClientSession(base_url=node.url, auth=aiohttp.BasicAuth(WRITE_KEY, "")) as session:
        for i in range(0, len(calls), 20):
            async with session.post("/v1/batch", json={"batch": calls[i : i + 20]}) as response:
                if response.status != 200:
                    raise RuntimeError(f"/v1/batch answered {response.status}: {await response.text()}")


async def run(broker: EmbeddedBroker, directory: Path, *, quick: bool) -> list[Section]:
    schemas, columns, rounds, imported = (50, 20, 10, 1_500) if quick else (SCHEMAS, COLUMNS, 200, IMPORTED)
    timeout = 120 if quick else 900
    prefix = fresh_prefix("web")
    calls = _calls(schemas, columns)
    load = write_load(directory / f"{prefix}-import.jsonl", seed=21, events=imported)
    with running_node(broker, directory, prefix) as node:
        await _send(node, calls)
        await wait_drained(node, broker, prefix, len(calls), since=time.monotonic(), timeout=timeout)
        cookies = {SESSION_COOKIE: encode_session(TOKEN)}
        async with aiohttp.ClientSession(
            base_url=node.url, cookies=cookies, timeout=aiohttp.ClientTimeout(total=60)
        ) as session:
            reader = PageReader(session, schemas, columns)
            cold = await reader.read("/changes")
            idle: Samples = {}
            async with httpx.AsyncClient(base_url=node.url, timeout=10) as client:
                before = await pauses(client)
                for _ in range(rounds):
                    await reader.round(idle)
                idle_stalls = (await pauses(client)).since(before)
            serving = Serving(broker, directory, prefix, node)
            busy = await serving.reads_during_import(reader, len(calls), load, imported, timeout=timeout)  # type: ignore[arg-type]
            logger.info("read pages %d times during the import, %.1f s", sum(map(len, busy.samples.values())), busy.seconds)
    loaded = f"{schemas:,} schemas × {columns} columns"
    return [
        (
            f"Pages over HTTP: the analyst's page, p50/p99 with {loaded} loaded",
            [
                (f"first read of /changes after the load ({schemas * columns:,} changes in the index)", f"{cold:.0f} ms"),
                *latency_rows("idle (target p99 < 50 ms)", idle),
                (LOOP_MEANWHILE, idle_stalls),
                *busy.rows(f"during a {imported:,}-event import (target p99 < 100 ms)"),
            ],
        )
    ]


def main(broker: EmbeddedBroker, directory: Path, quick: bool) -> list[Section]:
    return asyncio.run(run(broker, directory, quick=quick))
