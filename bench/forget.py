"""What forgetting costs: ingestion with people's data sealed and suppressions in force,
and how long a deletion takes.

- **Ingest**, interleaved pairs in one process against the run's broker: the node's own
  HTTP app (``streams.edge``) over an in-process ASGI client, ``SENDERS`` senders of
  ``/v1/batch`` bodies of ``BATCH`` calls, acked by the broker (acks=all). *Private*
  is the edge as it runs: each event sealed under its subject's data key (made on a
  real keys topic), ``SUPPRESSIONS`` suppressions of other people in force, and the
  regulations copy brought up to the topic's end before each call. *Plain* is the same
  app writing each event as it is, with no suppression check. Each edge is sent the load
  first as new people (a private edge makes and acks each one's data key before their
  first event), then as known ones, ``KNOWN_PASSES`` times (the fastest counts). The
  ratios are the median of the pairs' own (a pair's plain and private edges run one
  after the other, in ABBA order, after a run that warms the broker up, so the
  machine's drift over the run, ±10 % here, cancels) and of the best rates of each
  side; and the edge's CPU an event (this process's CPU time while it sent: the edge
  and its HTTP client), which the broker's share of the two cores does not move.
- **Deletion**, on a real node with ``TRACKLOG_FORGET_WITHIN_MS`` = ``FORGET_WITHIN_MS``:
  from ``createRegulation`` to the folds having forgotten the person (the ``raw log``
  step starts: their keys are being deleted) and to ``FINISHED`` (the keys topic holds
  none of their keys: bounded below by that setting).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.harness import PARTITIONS, SOURCE, WRITE_KEY, Section, fresh_prefix, graphql_headers, node_process
from bench.serving import BATCH, SENDERS, Sent, _send_all, _unsealed
from query.domain import USER_ID, Identifier
from query.domain.pseudonyms import Pseudonyms
from query.domain.regulations import Regulation, RegulationType, SubjectType, Suppressions
from query.graphql import Context
from schemas import Event
from streams.edge.app import build_http_app
from streams.edge.ingest import Ingest
from streams.edge.sealing import Sealed, Sealing
from streams.kafka.app import TopicNames
from streams.kafka.keys import SubjectKeys
from streams.kafka.producer import EventProducer
from streams.kafka.topics import ensure_topics
from streams.metrics import Metrics
from streams.node.heap import Heap
from streams.ops.broker import EmbeddedBroker
from streams.ops.loadgen import generate
from streams.regulations.log import RegulationLog
from tests.keys import TEST_SECRET

logger = logging.getLogger(__name__)

EVENTS = 20_000
SUPPRESSIONS = 1_000
PAIRS = 8
KNOWN_PASSES = 3
FORGET_WITHIN_MS = 5_000
CREATE = """mutation ($ids: [String!]!) {
  createRegulation(type: DELETE_ONLY, subjectType: USER_ID, subjectIds: $ids) { id } }"""
STEPS = "query ($id: ID!) { regulation(id: $id) { status steps { name status } } }"


class Plain:
    """The edge's sealing, minus everything forgetting adds: events written as they are."""

    async def in_force(self) -> None:
        return None

    async def seal(self, events: Sequence[Event], in_force: Awaitable[None] | None = None) -> Sealed:
        if in_force is not None:
            await in_force
        return Sealed(_unsealed(events), 0)


class _Unused:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the ingestion benchmark used the read side ({name})")


def _suppression(n: int) -> Regulation:
    member = Identifier(USER_ID, f"~suppressed-{n}")
    return Regulation(f"bench-{n}", RegulationType.SUPPRESS_ONLY, SubjectType.USER_ID, (member,), (member,), 0)


async def _ingest(broker: EmbeddedBroker, bodies: list[tuple[int, bytes]], *, private: bool) -> tuple[Sent, Sent]:
    """The load sent through a fresh edge: first as new people, then ``KNOWN_PASSES``
    times as known ones, the fastest of which is returned (a pass takes under a second,
    so a burst of the machine's other load can halve one)."""
    names = TopicNames.for_prefix(fresh_prefix("forget"))
    await ensure_topics(
        broker.bootstrap, [(names.events, PARTITIONS, {}), (names.keys, PARTITIONS, {}), (names.regulations, 1, {})]
    )
    producer = EventProducer(broker.bootstrap, names.events, timeout=60)
    keys = SubjectKeys(broker.bootstrap, names.keys, timeout=60)
    regulations = RegulationLog(broker.bootstrap, names.regulations, timeout=60)
    await producer.start()
    await keys.start()
    await regulations.start()
    heap = Heap()
    try:
        sealing: Sealing | Plain = Plain()
        if private:
            await regulations.applied(await regulations.append(*(_suppression(n) for n in range(SUPPRESSIONS))))
            assert len(regulations.suppressions) == SUPPRESSIONS
            pseudonyms = Pseudonyms(TEST_SECRET.encode())
            sealing = Sealing(keys, pseudonyms, regulations.suppressions, regulations.in_force)
        metrics = Metrics()
        edge = Ingest(
            producer=producer,
            sealing=sealing,  # type: ignore[arg-type]
            source_for_key={WRITE_KEY: SOURCE}.get,
            dev=False,
            metrics=metrics,
            max_inflight=SENDERS * 2,
        )
        context = Context(
            schemas=_Unused(), commands=_Unused(), changes=_Unused(), profiles=_Unused(), regulations=_Unused(), plans=_Unused(),
            violations=_Unused(),
        )
        app = build_http_app(ingest=edge, context=context, metrics=metrics, ready=lambda: True, graphiql=False)
        heap.settle()  # the node's regime (streams.node.heap): without it a full collection
        # (~75 ms here) lands in one pass in two, a tenth of it, on either side
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://node", auth=(WRITE_KEY, "")
        ) as client:

            async def send(body: bytes) -> bool:
                response = await client.post("/v1/batch", content=body, headers={"content-type": "application/json"})
                return response.status_code == 200

            first = await _send_all(bodies, send)  # each subject's key made on first sight
            known = [await _send_all(bodies, send) for _ in range(KNOWN_PASSES)]
            return first, max(known, key=lambda sent: sent.acked / sent.seconds)
    finally:
        heap.stop()
        await asyncio.gather(producer.stop(), keys.stop(), regulations.stop())


async def _deletion(
    broker: EmbeddedBroker, directory: Path, calls: list[bytes], forget_within_ms: int
) -> tuple[float, float]:
    """(seconds to the folds' forgetting, seconds to FINISHED) of one person's deletion."""
    with node_process(broker, directory, fresh_prefix("deletion")) as node:
        node.env["TRACKLOG_FORGET_WITHIN_MS"] = str(forget_within_ms)
        node.start(ready_timeout=120)
        user = "deleted-user"
        track = b'{"type":"track","userId":"%s","event":"Order Completed","properties":{"total":1}}' % user.encode()
        async with httpx.AsyncClient(base_url=node.url, timeout=30) as client:
            body = b'{"batch":[' + b",".join([*calls[:BATCH], track]) + b"]}"
            sent = await client.post("/v1/batch", content=body, auth=(WRITE_KEY, ""))
            assert sent.status_code == 200, sent.text

            async def graphql(query: str, **variables: Any) -> dict[str, Any]:
                answer = await client.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=graphql_headers()
                )
                data: dict[str, Any] = answer.json()["data"]
                return data

            profile = "query ($id: String!) { profile(id: $id) { eventCount } }"
            while not (await graphql(profile, id=user))["profile"]:
                await asyncio.sleep(0.05)
            started = time.perf_counter()
            regulation = (await graphql(CREATE, ids=[user]))["createRegulation"]["id"]
            forgotten: float | None = None
            while True:
                state = (await graphql(STEPS, id=regulation))["regulation"]
                steps = {s["name"]: s["status"] for s in state["steps"]}
                if forgotten is None and steps["raw log"] != "INITIALIZED":
                    forgotten = time.perf_counter() - started
                if state["status"] == "FINISHED":
                    return forgotten or 0.0, time.perf_counter() - started
                if state["status"] in ("FAILED", "PARTIAL_SUCCESS"):
                    raise RuntimeError(f"the deletion failed: {state}")
                await asyncio.sleep(0.05)


async def run(broker: EmbeddedBroker, directory: Path, *, quick: bool) -> list[Section]:
    events = 2_000 if quick else EVENTS
    calls = [orjson.dumps(c) for c in generate(seed=16, users=max(10, events // 20), events=events)]
    bodies = [(len(chunk), b'{"batch":[' + b",".join(chunk) + b"]}") for chunk in _batches(calls)]
    # (private, known people) → each run's rate, and its CPU µs an event
    rates: dict[tuple[bool, bool], list[float]] = {(p, k): [] for p in (False, True) for k in (False, True)}
    cpu: dict[tuple[bool, bool], list[float]] = {side: [] for side in rates}
    if not quick:
        await _ingest(broker, bodies, private=False)  # the broker's JIT warms up on a run of its own
    for pair in range(1 if quick else PAIRS):
        # ABBA: a drift over the run (the broker still warming, the machine's load) falls
        # on each side first as often as second.
        for private in (False, True) if pair % 2 == 0 else (True, False):
            for known, sent in zip((False, True), await _ingest(broker, bodies, private=private)):
                if sent.failed:
                    raise RuntimeError(f"{sent.failed} requests failed (private={private})")
                rates[private, known].append(sent.acked / sent.seconds)
                cpu[private, known].append(sent.cpu_seconds / sent.acked * 1e6)
    forget_within_ms = 1_000 if quick else FORGET_WITHIN_MS
    forgotten, finished = await _deletion(broker, directory, calls, forget_within_ms)

    def best(private: bool, known: bool) -> str:
        runs = rates[private, known]
        return f"{max(runs):,.0f} ({', '.join(f'{r:,.0f}' for r in runs)})"

    def best_ratio(known: bool) -> str:
        return f"{max(rates[True, known]) / max(rates[False, known]):.2f}×"

    def cpu_per_event(known: bool) -> str:
        plain, private = (statistics.median(cpu[p, known]) for p in (False, True))
        return f"{plain:.1f} → {private:.1f} µs ({plain / private:.2f}×)"

    def pair_ratios(known: bool) -> str:
        pairs = [private / plain for plain, private in zip(rates[False, known], rates[True, known])]
        return f"{statistics.median(pairs):.2f}× ({', '.join(f'{r:.2f}×' for r in pairs)})"

    return [
        (
            f"Forgetting: {events:,} calls through the edge in-process (acked, events/s), "
            f"{len(rates[True, True])} interleaved pairs",
            [
                ("plain, known people: written as they are, no suppression check", best(False, True)),
                (f"private, known people: sealed, {SUPPRESSIONS:,} suppressions in force", best(True, True)),
                ("private / plain, known people: median of the pairs (each, in the order run)", pair_ratios(True)),
                ("private / plain, known people: best against best (target ≥ 0.9×)", best_ratio(True)),
                ("the edge's CPU an event, known people: plain → private, medians", cpu_per_event(True)),
                ("plain, new people", best(False, False)),
                ("private, new people: each one's data key made and acked first", best(True, False)),
                ("private / plain, new people: median of the pairs (each, in the order run)", pair_ratios(False)),
                ("private / plain, new people: best against best", best_ratio(False)),
                ("the edge's CPU an event, new people: plain → private, medians", cpu_per_event(False)),
            ],
        ),
        (
            f"Deletion: one person's, on a node (TRACKLOG_FORGET_WITHIN_MS={forget_within_ms:,})",
            [
                ("createRegulation → the folds have forgotten them (keys being deleted)", f"{forgotten:.2f} s"),
                ("createRegulation → FINISHED (no key of theirs left on the keys topic)", f"{finished:.2f} s"),
            ],
        ),
    ]


def _batches(calls: list[bytes]) -> list[list[bytes]]:
    return [calls[i : i + BATCH] for i in range(0, len(calls), BATCH)]


def main(broker: EmbeddedBroker, directory: Path, quick: bool) -> list[Section]:
    return asyncio.run(run(broker, directory, quick=quick))
