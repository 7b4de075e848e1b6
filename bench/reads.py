"""Profile and timeline reads over real RocksDB, through the GraphQL schema.

Loads one heavy user (100k events) and 10k users with 100 events each through the
same folds the agents run (``streams.folds.links``) into rocksdict databases, then
measures ``profile`` and ``timeline(first: 50)`` — first page and a deep page — with
``schema.execute`` (no HTTP; a loopback request adds ~2-3 ms p50 on these machines).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from bench.harness import percentiles
from query.domain import primary_identifier
from query.domain.pseudonyms import Pseudonyms
from query.graphql import Context, schema
from schemas import Event, EventType, encode_event
from schemas.sealed import KeyRef, Sealer
from streams.adapters.rocksdict import open_db
from streams.folds.events import EventFold, ScannedTable
from streams.folds.links import LinkFold
from streams.folds.privacy import Keys, Privacy
from registry import PiiClassification
from streams.cluster.tables import ClusterTable, LocalReads
from streams.state.readers import TableProfileReader

T0 = 1_790_000_000_000


@dataclass
class _Tables:
    """One database per table, as a one-partition node would hold them."""

    event_dedupe: Any
    profiles: Any
    timeline: Any
    identities: Any
    profile_members: Any
    identity_names: Any


def _one(name: str, db: Any) -> ClusterTable:
    """A table of one partition, held in ``db``."""
    return ClusterTable(LocalReads({name: [db]}), name, 1)


async def _unclassified(key: object) -> dict[str, PiiClassification]:
    return {}  # no column classified yet: every key is classified by its name


def _event(user: str, n: int, *, identify: bool = False) -> Event:
    return Event(
        type=EventType.IDENTIFY if identify else EventType.TRACK,
        message_id=f"{user}-{n}",
        source="bench",
        user_id=user if identify or n % 2 else None,
        anonymous_id=f"anon-{user}",
        event=None if identify else "Product Viewed",
        timestamp_ms=T0 + n * 1000,
        received_at_ms=T0 + n * 1000,
        sent_at_ms=None,
        original_timestamp_ms=None,
        properties={} if identify else {"sku": f"SKU-{n % 100}", "price": n % 50 + 0.5},
        traits={"plan": "pro", "n": n} if identify else {},
        context={"library": {"name": "bench"}},
        previous_id=None,
        group_id=None,
        integrations={},
    )


def load(tables: _Tables, privacy: Privacy, users: int, per_user: int, heavy: int) -> int:
    """Each event sealed as the edge seals it (a key per subject), then folded."""
    # The timeline is scanned only to forget someone, which this load never does.
    events = EventFold(tables.event_dedupe, tables.profiles, cast(ScannedTable, tables.timeline), privacy)
    links = LinkFold(tables.identities, tables.profile_members, tables.identity_names)
    assert isinstance(privacy.keys, Keys)
    known, sealer = privacy.keys.known, Sealer()
    count = 0
    plan = [("heavy-user", heavy)] + [(f"user-{i}", per_user) for i in range(users)]
    for user, n_events in plan:
        for n in range(n_events):
            event = _event(user, n, identify=(n == 0))
            primary = primary_identifier(event)
            assert primary is not None
            ref = KeyRef(privacy.pseudonyms.of(primary).value, "k")
            material = known.setdefault(ref, os.urandom(64))
            for link, cause, names in events.fold(event, sealer.seal(ref, material, encode_event(event)), ref):
                links.apply(link, cause, names)
            count += 1
        events.write_back()
    return count


async def _measure(context: Context, query: str, variables: dict[str, Any], runs: int) -> tuple[float, float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await schema.execute(query, variable_values=variables, context_value=context)
        timings.append((time.perf_counter() - started) * 1000)
        assert result.errors is None, result.errors
    return percentiles(timings)


PROFILE = "query ($id: String!) { profile(id: $id) { id eventCount traits identities { type value } } }"
TIMELINE = """query ($id: String!, $after: String) { timeline(id: $id, first: 50, after: $after) {
  edges { cursor node { messageId type event timestamp properties } } pageInfo { endCursor } } }"""


async def run(directory: Path, *, quick: bool) -> list[tuple[str, str]]:
    users, per_user, heavy = (200, 20, 5_000) if quick else (10_000, 100, 100_000)
    tables = _Tables(*(open_db(str(directory / name)) for name in _Tables.__dataclass_fields__))
    privacy = Privacy(Pseudonyms(b"bench-secret-of-16-bytes"), Keys())
    started = time.perf_counter()
    count = load(tables, privacy, users, per_user, heavy)
    load_s = time.perf_counter() - started
    reader = TableProfileReader(
        _one("profiles", tables.profiles),
        _one("timeline", tables.timeline),
        _one("identities", tables.identities),
        _one("profile-members", tables.profile_members),
        _one("identity-names", tables.identity_names),
        privacy,
        _unclassified,
    )
    context = Context(schemas=None, commands=None, changes=None, profiles=reader, regulations=None, plans=None, violations=None)  # type: ignore[arg-type]

    # A cursor deep into the heavy user's history: walk there once.
    after = None
    for _ in range(20 if quick else 200):
        page = await schema.execute(TIMELINE, variable_values={"id": "heavy-user", "after": after}, context_value=context)
        after = page.data["timeline"]["pageInfo"]["endCursor"]  # type: ignore[index]

    runs = 50 if quick else 1000
    rows = [("load through the folds", f"{count:,} events in {load_s:.1f} s ({count / load_s:,.0f}/s)")]
    for label, query, variables in (
        ("profile, typical user", PROFILE, {"id": "user-7"}),
        (f"profile, heavy user ({heavy:,} events)", PROFILE, {"id": "heavy-user"}),
        ("timeline(first: 50), typical user", TIMELINE, {"id": "user-7", "after": None}),
        ("timeline(first: 50), heavy user, first page", TIMELINE, {"id": "heavy-user", "after": None}),
        ("timeline(first: 50), heavy user, deep page", TIMELINE, {"id": "heavy-user", "after": after}),
    ):
        p50, p99 = await _measure(context, query, variables, runs)
        rows.append((label, f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"))
    return rows


def main(directory: Path, quick: bool) -> list[tuple[str, str]]:
    return asyncio.run(run(directory, quick=quick))
