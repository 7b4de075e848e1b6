"""The violations judged on this node's ``events`` partitions (``query.store.ViolationStore``).

The rows are route-events' (``streams.folds.plans``): each partition's violations
newest first, merged across partitions here, and each partition's counts, summed.
"""

from __future__ import annotations

import heapq
from collections.abc import AsyncIterator, Iterator
from operator import itemgetter

import orjson

from registry.plans.judge import ViolationCount, ViolationRecord, merge_counts
from streams.folds.plans import decode_count, event_prefix, source_prefix, summary_prefix
from streams.kafka.feed import KafkaFeed
from streams.plans.quarantine import Quarantine
from streams.state.partitions import Partitions


class TableViolations:
    def __init__(
        self, rows: Partitions, counts: Partitions, feed: KafkaFeed[ViolationRecord], quarantine: Quarantine
    ) -> None:
        self._rows = rows
        self._counts = counts
        self._feed = feed
        self._quarantine = quarantine

    def violations(self, source: str, event: str | None, after: bytes | None) -> Iterator[tuple[bytes, ViolationRecord]]:
        prefix = source_prefix(source) if event is None else event_prefix(source, event)
        start = None if after is None else prefix + after
        scans = self._rows.sorted_scans(prefix, start)
        for key, value in heapq.merge(*scans, key=itemgetter(0)):
            if start is not None and key <= start:
                continue
            yield key[len(prefix) :], ViolationRecord.from_dict(orjson.loads(value))

    def summary(self, source: str) -> list[ViolationCount]:
        return merge_counts([decode_count(source, k, v) for k, v in self._counts.scan(summary_prefix(source))])

    def subscribe(self) -> AsyncIterator[ViolationRecord]:
        return self._feed.subscribe()

    async def release(self, source: str, event: str | None) -> int:
        return await self._quarantine.release(source, event)
