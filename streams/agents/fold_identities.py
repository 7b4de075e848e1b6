"""``fold-identities``: the ``identity-links`` log into the identity graph.

One partition, so merges are serialised and the graph stays consistent. Each record
holds one route-events step's links (``streams.folds.links``); an entry that cannot be
read or applied is set aside and the record dead-lettered naming it, while the rest
still fold. A forget record (``streams.folds.forget``) deletes its members' rows and
those of their profiles; its ack goes onto the regulations topic once flushed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from query.domain import IdentityGuards, LinkResult
from query.domain.regulations import Ack
from streams.adapters.faust import Stream, transport_producer
from streams.agents.outbox import Dead, DeadLetters, ProducerOutbox
from streams.agents.route_events import send_acks
from streams.agents.steps import BATCH, BATCH_WAIT
from streams.folds.commands import KIND_HEADER
from streams.folds.forget import FORGET, decode_forget
from streams.folds.links import LinkFold
from streams.folds.records import Message, header
from streams.kafka.app import Tracklog
from streams.metrics import Metrics
from streams.state.buffers import PartitionBuffers

NAME = "fold-identities"


@dataclass
class LinksStep:
    """What one step of fold-identities did."""

    links: int = 0  # entries read, applied or set aside
    results: list[LinkResult] = field(default_factory=list)
    dead: list[Dead] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)


def fold_links(messages: Iterable[Message], fold_of: Callable[[int], LinkFold]) -> LinksStep:
    """Fold each record's links, in order, into its partition's ``LinkFold``."""
    step = LinksStep()
    for message in messages:
        if header(message, KIND_HEADER) == FORGET:
            try:
                regulation, members = decode_forget(message.value or b"")
            except ValueError as exc:
                step.dead.append(Dead(message, str(exc)))
                continue
            fold_of(message.partition).forget(members)
            step.acks.append(Ack(regulation, "graph", message.partition))
            continue
        try:
            folded = fold_of(message.partition).fold(message.value or b"")
        except ValueError as exc:
            step.dead.append(Dead(message, str(exc)))
            continue
        if folded.failures:
            step.dead.append(Dead(message, "; ".join(f"links[{i}]: {why}" for i, why in folded.failures)))
        step.results += folded.results
        step.links += folded.links
    return step


class FoldIdentities:
    def __init__(self, tracklog: Tracklog, metrics: Metrics, guards: IdentityGuards | None = None) -> None:
        self._tracklog = tracklog
        self._metrics = metrics
        self._guards = guards or IdentityGuards()

    def install(self) -> None:
        self._tracklog.app.agent(self._tracklog.identity_links_topic, name=NAME)(self.run)

    async def run(self, stream: Stream) -> None:
        tracklog, metrics = self._tracklog, self._metrics
        producer = transport_producer(tracklog.app)
        dead_letters = DeadLetters(ProducerOutbox(producer), tracklog.names.dead_letter, metrics)
        async for events in stream.take_events(BATCH, within=BATCH_WAIT):
            buffers = PartitionBuffers()

            def fold_of(partition: int, buffers: PartitionBuffers = buffers) -> LinkFold:
                identities, members, names = buffers.of(
                    partition, tracklog.identities, tracklog.profile_members, tracklog.identity_names
                )
                return LinkFold(identities, members, names, guards=self._guards)

            step = fold_links([event.message for event in events], fold_of)
            for dead in step.dead:
                await dead_letters.send(NAME, dead)
            for result in step.results:
                if result.refused is not None:
                    metrics.refused_links.labels(result.refused.value).inc()
                if result.merged is not None:
                    metrics.merges.inc()
            await buffers.flush(producer)
            await send_acks(step.acks, tracklog.names, ProducerOutbox(producer))
            metrics.processed.labels(NAME).inc(step.links)
