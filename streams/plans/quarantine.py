"""The ``quarantine`` topic: events a plan's connection held back, and their release.

route-events writes each quarantined event there (one partition, kept forever) as it
came, still sealed under its subject's key, with its violations and the ``events``
partition it came from. ``release`` puts a source's quarantined events (of one event
name, or all) back onto that partition, where route-events judges them again by the
plan then in force, then writes a release record (``tracklog-kind: release``) up to
where it read, so an event is released once. A release that stopped half-way is
harmless to repeat: the events fold dedupes by messageId.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

import msgspec
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from schemas.log import event_records
from schemas.sealed import SealError, from_json_envelope
from streams.errors import BrokerUnavailableError
from streams.folds.commands import KIND_HEADER
from streams.kafka.topics import read_all

RELEASE = b"release"


class _Quarantined(msgspec.Struct):
    source: str
    event: str | None
    partition: int
    sealed: msgspec.Raw


class _Release(msgspec.Struct):
    source: str
    event: str | None
    upTo: int  # noqa: N815 (the record's JSON name)


_QUARANTINED = msgspec.json.Decoder(_Quarantined)
_RELEASE = msgspec.json.Decoder(_Release)


@dataclass
class _Read:
    held: list[tuple[int, _Quarantined]]
    releases: list[_Release]
    end: int


class Quarantine:
    def __init__(self, bootstrap: str, topic: str, events: str, *, timeout: float = 10.0) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._events = events
        self._timeout = timeout
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True)
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def release(self, source: str, event: str | None) -> int:
        """Put ``source``'s quarantined events (named ``event``, or all) back on the log;
        how many went."""
        async with self._lock:  # one release at a time on this node: each reads the last's record
            read = await self._read()
            chosen = [
                (offset, held)
                for offset, held in read.held
                if held.source == source
                and (event is None or held.event == event)
                and not any(_covers(r, held, offset) for r in read.releases)
            ]
            if not chosen:
                return 0
            by_partition: dict[int, list[bytes]] = defaultdict(list)
            for _, held in chosen:
                by_partition[held.partition].append(from_json_envelope(bytes(held.sealed)))
            marker = orjson.dumps({"source": source, "event": event, "upTo": read.end - 1})
            await self._send(
                [(self._events, p, value, []) for p, items in sorted(by_partition.items()) for value in event_records(items)]
            )
            await self._send([(self._topic, 0, marker, [(KIND_HEADER, RELEASE)])])
            return len(chosen)

    async def _read(self) -> _Read:
        read = _Read([], [], 0)

        def collect(record: ConsumerRecord[bytes, bytes]) -> None:
            read.end = record.offset + 1
            kind = next((v for k, v in record.headers if k == KIND_HEADER), None)
            try:
                if kind == RELEASE:
                    read.releases.append(_RELEASE.decode(record.value or b""))
                else:
                    held = _QUARANTINED.decode(record.value or b"")
                    from_json_envelope(bytes(held.sealed))  # releasable
                    read.held.append((record.offset, held))
            except (msgspec.DecodeError, SealError):
                pass  # not ours; nothing to release

        await read_all(self._bootstrap, self._topic, collect)
        return read

    async def _send(self, records: list[tuple[str, int, bytes, list[tuple[str, bytes]]]]) -> None:
        producer = self._producer
        assert producer is not None, "the quarantine is not started"
        try:
            sends = [
                await producer.send(topic, value=value, partition=p, headers=headers)
                for topic, p, value, headers in records
            ]
            await asyncio.wait_for(asyncio.gather(*sends), self._timeout)
        except (KafkaError, TimeoutError) as exc:
            raise BrokerUnavailableError(f"the broker did not take a released event: {exc!r}") from exc


def _covers(release: _Release, held: _Quarantined, offset: int) -> bool:
    return (
        release.source == held.source and (release.event is None or release.event == held.event) and offset <= release.upTo
    )
