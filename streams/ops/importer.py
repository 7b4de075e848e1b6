"""``tracklog import``: backfill JSONL(.gz) Segment calls through the log.

Lines are parsed by the same core as the HTTP edge (so an imported event is exactly
what the SDK would have produced), sent in batches with acks=all, and read as a stream
(memory stays bounded by one batch). A bad line is reported with its file and line
number and skipped; it never stops the import. Events are sealed and suppressed as the
edge does (``streams.edge.sealing``).
"""

from __future__ import annotations

import gzip
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson

from schemas import Event, SchemaError, parse_body, parse_call
from streams.edge.sealing import Sealing
from streams.kafka.app import Tracklog
from streams.kafka.producer import EventProducer
from streams.kafka.topics import ensure_topics
from streams.regulations.log import RegulationLog
from streams.settings import Settings

logger = logging.getLogger(__name__)

# (bytes read of the file so far, events sent so far)
Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    events: int = 0
    skipped: int = 0
    suppressed: int = 0  # events of a suppressed person: not written
    errors: list[str] = field(default_factory=list)  # the first few, with file:line

    def skip(self, where: str, reason: str) -> None:
        self.skipped += 1
        if len(self.errors) < 20:
            self.errors.append(f"{where}: {reason}")


def _lines(raw: IO[bytes], name: str) -> Iterator[bytes]:
    if name.endswith(".gz"):
        with gzip.GzipFile(fileobj=raw) as unzipped:
            yield from unzipped
    else:
        yield from raw


def parse_line(line: bytes, *, source: str, received_at_ms: int) -> Event:
    body = parse_body(line)
    return parse_call(
        body,
        None,
        source=source,
        received_at_ms=received_at_ms,
        new_id=lambda: str(uuid.uuid4()),
        from_json=True,
    )


async def import_file(
    path: Path,
    producer: EventProducer,
    sealing: Sealing,
    *,
    source: str,
    batch_size: int = 1000,
    report: ImportReport,
    progress: Progress | None = None,
) -> None:
    batch: list[Event] = []
    with open(path, "rb") as raw:
        for number, line in enumerate(_lines(raw, path.name), start=1):
            if not line.strip():
                continue
            try:
                event = parse_line(line, source=source, received_at_ms=time.time_ns() // 1_000_000)
            except SchemaError as exc:
                report.skip(f"{path}:{number}", str(exc))
                continue
            except orjson.JSONDecodeError as exc:  # pragma: no cover - parse_body wraps it
                report.skip(f"{path}:{number}", f"invalid JSON: {exc}")
                continue
            batch.append(event)
            if len(batch) >= batch_size:
                await _send(batch, producer, sealing, report)
                batch.clear()
                if progress is not None:
                    progress(raw.tell(), report.events)
        if batch:
            await _send(batch, producer, sealing, report)
        if progress is not None:
            progress(raw.tell(), report.events)


async def _send(batch: list[Event], producer: EventProducer, sealing: Sealing, report: ImportReport) -> None:
    """Sealed as the edge seals them; a suppressed person's events are not written."""
    sealed = await sealing.seal(batch)
    report.suppressed += sealed.suppressed
    await producer.send_events(sealed.records)
    report.events += len(sealed.records)


async def import_files(
    settings: Settings,
    files: list[Path],
    *,
    source: str,
    batch_size: int,
    report: ImportReport,
    progress: Callable[[Path], Progress] | None = None,
) -> None:
    """Import ``files`` in order onto the events topic of ``settings``' broker;
    ``progress(path)`` gives the progress callback of each file."""
    # On a broker no node has run against yet, create the topics as a node would.
    tracklog = Tracklog(settings)
    await ensure_topics(settings.bootstrap_servers, tracklog.topics_to_create, replication=settings.replication_factor)
    producer = EventProducer(
        settings.bootstrap_servers, tracklog.names.events, timeout=max(settings.produce_timeout, 30.0)
    )
    regulations = RegulationLog(settings.bootstrap_servers, tracklog.names.regulations)
    await tracklog.keys.start()
    await regulations.start(write=False)
    await producer.start()
    sealing = Sealing(tracklog.keys, tracklog.pseudonyms, regulations.suppressions)
    try:
        for path in files:
            await import_file(
                path,
                producer,
                sealing,
                source=source,
                batch_size=batch_size,
                report=report,
                progress=None if progress is None else progress(path),
            )
    finally:
        await producer.stop()
        await regulations.stop()
        await tracklog.keys.stop()
