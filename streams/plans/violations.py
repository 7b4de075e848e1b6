"""The violations judged on this node's ``events`` partitions (``query.store.ViolationStore``).

The rows are route-events' (``streams.folds.plans``): each partition's violations
newest first, merged across partitions here, and each partition's counts, summed.
"""

from __future__ import annotations

import heapq
from collections.abc import AsyncIterator
from itertools import islice
from operator import itemgetter

import orjson

from registry.plans.judge import ViolationCount, ViolationRecord, merge_counts
from streams.folds.plans import decode_count, event_prefix, source_prefix, summary_prefix
from streams.kafka.feed import KafkaFeed
from streams.plans.quarantine import Quarantine
from streams.cluster.tables import ClusterTable


class TableViolations:
    def __init__(
        self, rows: ClusterTable, counts: ClusterTable, feed: KafkaFeed[ViolationRecord], quarantine: Quarantine
    ) -> None:
        self._rows = rows
        self._counts = counts
        self._feed = feed
        self._quarantine = quarantine

    async def violations(
        self, source: str, event: str | None, after: bytes | None, limit: int
    ) -> list[tuple[bytes, ViolationRecord]]:
        prefix = source_prefix(source) if event is None else event_prefix(source, event)
        start = None if after is None else prefix + after
        # The scans start at the cursor's own row, if it is still there: one more each.
        scans = await self._rows.scan_each(prefix, start, limit=limit + 1)
        merged = heapq.merge(*scans, key=itemgetter(0))
        kept = ((key, value) for key, value in merged if start is None or key > start)
        return [
            (key[len(prefix) :], ViolationRecord.from_dict(orjson.loads(value))) for key, value in islice(kept, limit)
        ]

    async def summary(self, source: str) -> list[ViolationCount]:
        rows = [row for scan in await self._counts.scan_each(summary_prefix(source)) for row in scan]
        return merge_counts([decode_count(source, k, v) for k, v in rows])

    def subscribe(self) -> AsyncIterator[ViolationRecord]:
        return self._feed.subscribe()

    async def release(self, source: str, event: str | None) -> int:
        return await self._quarantine.release(source, event)
