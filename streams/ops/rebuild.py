"""``tracklog rebuild``: refold the tables from the log and compare with the live state.

The live state is what the node wrote: the latest value of every key in the tables'
changelog topics. The rebuilt state is the same folds (``streams.folds.schemas``,
``streams.folds.links``) run again over the topics the agents read (``events``,
``identity-links``, ``schema-input``) from their first offset, into plain dicts,
partition by partition, opening events with the data keys on the keys topic: the
events of a forgotten subject (their keys deleted) do not open, so they stay
forgotten, and forget records replay where they fell. Both
are reduced to a digest; equal digests are the promise that state is derived from the
log. Unless only checking, the changelogs are then rewritten to the rebuilt state and
the node's local RocksDB copies are dropped, so the next node start recovers it.

Run it with the node stopped.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaProducer

from query.domain import DomainError, IdentityGuards
from registry import RegistryError
from schemas import SchemaError, decode_event
from schemas.log import record_items
from streams.adapters.faust import Table
from streams.folds.commands import KIND_HEADER
from streams.folds.events import EventFold
from streams.folds.plans import PLAN, Compiled, PlanGate
from streams.folds.forget import FORGET, decode_forget
from streams.folds.links import LinkFold
from streams.folds.privacy import Privacy
from streams.folds.records import Message, header
from streams.folds.rows import RowDict
from streams.folds.schemas import SchemaFold
from streams.kafka.app import Tracklog
from streams.kafka.topics import read_all

logger = logging.getLogger(__name__)

# (table name, partition) -> key -> value
Image = dict[tuple[str, int], dict[bytes, bytes]]
Progress = Callable[[int, int], None]  # (done, total)
ProgressFactory = Callable[[str], Progress]  # one bar per topic refolded


@dataclass(frozen=True)
class RebuildReport:
    live_digest: str
    rebuilt_digest: str
    messages: int
    rows: int
    written: int

    @property
    def equal(self) -> bool:
        return self.live_digest == self.rebuilt_digest


def digest(image: Image) -> str:
    """A digest of every row of every table partition, independent of insertion order."""
    h = hashlib.sha256()
    for (table, partition), rows in sorted(image.items()):
        if not rows:
            continue
        h.update(f"{table}\0{partition}\0{len(rows)}\0".encode())
        for key, value in sorted(rows.items()):
            h.update(len(key).to_bytes(4, "big") + key + len(value).to_bytes(4, "big") + value)
    return h.hexdigest()


async def live_image(bootstrap: str, tracklog: Tracklog) -> Image:
    image: Image = defaultdict(dict)
    for table in tracklog.tables:
        name = table.name

        def collect(message: Message, name: str = name) -> None:
            rows = image[(name, message.partition)]
            key = message.key or b""  # changelog records are keyed
            if message.value is None:
                rows.pop(key, None)
            else:
                rows[key] = message.value

        await read_all(bootstrap, table.changelog_topic.get_topic_name(), collect, None)
    return image


class _Refold:
    """The folds of every table partition over one image: one fold per partition,
    written back once at the end (the decoded rows it keeps are the image's anyway)."""

    def __init__(self, tracklog: Tracklog) -> None:
        self._tracklog = tracklog
        self._privacy = Privacy(tracklog.pseudonyms, tracklog.keys)
        self.image: Image = defaultdict(RowDict)
        self._schema_folds: dict[int, SchemaFold] = {}
        self._event_folds: dict[int, EventFold] = {}
        self._gates: dict[int, PlanGate] = {}
        self._compiled: Compiled = {}
        self._guards = IdentityGuards()

    def _rows(self, table: Table, partition: int) -> RowDict:
        rows = self.image[(table.name, partition)]
        assert isinstance(rows, RowDict)
        return rows

    def schema(self, message: Message) -> None:
        tracklog, p = self._tracklog, message.partition
        fold = self._schema_folds.get(p)
        if fold is None:
            rows = self._rows
            fold = self._schema_folds[p] = SchemaFold(
                rows(tracklog.columns, p), rows(tracklog.schemas, p), rows(tracklog.schema_dedupe, p), rows(tracklog.change_index, p)
            )
        fold.fold_message(message)

    def event(self, message: Message) -> None:
        tracklog, p = self._tracklog, message.partition
        fold = self._event_folds.get(p)
        if fold is None:
            rows = self._rows
            fold = self._event_folds[p] = EventFold(
                rows(tracklog.event_dedupe, p), rows(tracklog.profiles, p), rows(tracklog.timeline, p), self._privacy
            )
        gate = self._gate(p)
        kind = header(message, KIND_HEADER)
        if kind == FORGET:
            fold.forget(decode_forget(message.value or b"")[1])
            return
        if kind == PLAN:
            gate.command(message.value or b"")
            return
        for index, sealed in enumerate(record_items(message.value or b"")):
            try:
                opened = self._privacy.open(sealed)
                if opened is None:
                    continue  # forgotten: its key was deleted
                event, ref = decode_event(opened[0], index), opened[1]
                admitted = gate.admit(event, sealed, ref, self._privacy, p, message.offset)
                if admitted.quarantine is None:
                    fold.fold(admitted.event, admitted.sealed, ref)
            except (SchemaError, RegistryError):
                pass  # route-events set it aside

    def _gate(self, p: int) -> PlanGate:
        gate = self._gates.get(p)
        if gate is None:
            tracklog, rows = self._tracklog, self._rows
            gate = self._gates[p] = PlanGate(
                rows(tracklog.plans_in_force, p), rows(tracklog.violations, p), rows(tracklog.violation_summary, p), self._compiled
            )
        return gate

    def link(self, message: Message) -> None:
        tracklog, p = self._tracklog, message.partition
        rows = self._rows
        fold = LinkFold(
            rows(tracklog.identities, p),
            rows(tracklog.profile_members, p),
            rows(tracklog.identity_names, p),
            guards=self._guards,
        )
        if header(message, KIND_HEADER) == FORGET:
            fold.forget(decode_forget(message.value or b"")[1])
        else:
            fold.fold(message.value or b"")

    def write_back(self) -> None:
        for schema_fold in self._schema_folds.values():
            schema_fold.write_back()
        for event_fold in self._event_folds.values():
            event_fold.write_back()


def _tolerant(fold: Callable[[Message], None]) -> Callable[[Message], None]:
    def apply(message: Message) -> None:
        try:
            fold(message)
        except (SchemaError, RegistryError, DomainError, ValueError):
            pass  # the live agent dead-lettered it; it changed nothing there either

    return apply


async def refold_image(
    bootstrap: str, tracklog: Tracklog, progress: ProgressFactory | None = None
) -> tuple[Image, int]:
    """Refold every table from the topics the live agents read, in their order."""
    refold = _Refold(tracklog)
    count = 0
    for name, topic, fold in (
        ("events", tracklog.names.events, refold.event),
        ("identity links", tracklog.names.identity_links, refold.link),
        ("schemas", tracklog.names.schema_input, refold.schema),
    ):
        count += await read_all(
            bootstrap, topic, _tolerant(fold), progress(name) if progress is not None else None
        )
    refold.write_back()
    return refold.image, count


async def write_image(bootstrap: str, tracklog: Tracklog, live: Image, rebuilt: Image) -> int:
    """Make the changelogs hold ``rebuilt``: put what differs, delete what is gone."""
    topics = {table.name: table.changelog_topic.get_topic_name() for table in tracklog.tables}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    written = 0
    try:
        for table_partition in sorted(set(live) | set(rebuilt)):
            table, partition = table_partition
            old = live.get(table_partition, {})
            new = rebuilt.get(table_partition, {})
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    await producer.send(topics[table], key=key, value=new.get(key), partition=partition)
                    written += 1
        await producer.flush()
    finally:
        await producer.stop()
    return written


async def rebuild(
    tracklog: Tracklog, *, check_only: bool, progress: ProgressFactory | None = None
) -> RebuildReport:
    bootstrap = tracklog.settings.bootstrap_servers
    live = await live_image(bootstrap, tracklog)
    await tracklog.keys.start(write=False)  # every data key not deleted
    try:
        rebuilt, messages = await refold_image(bootstrap, tracklog, progress)
    finally:
        await tracklog.keys.stop()
    written = 0
    if not check_only:
        written = await write_image(bootstrap, tracklog, live, rebuilt)
        tables = Path(tracklog.app.conf.tabledir)
        if tables.exists():
            logger.info("dropping the local tables in %s", tables)
            shutil.rmtree(tables)
    return RebuildReport(
        live_digest=digest(live),
        rebuilt_digest=digest(rebuilt),
        messages=messages,
        rows=sum(len(rows) for rows in rebuilt.values()),
        written=written,
    )
