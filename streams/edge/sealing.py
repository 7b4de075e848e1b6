"""What the edge writes of each call: sealed under its subject's key, or nothing.

Before an event goes onto the log, its subject (the pseudonym of its primary
identifier) gets a data key if it has none (``streams.kafka.keys``: written and acked
first), and the event's whole wire form is sealed under it (``schemas.sealed``). The
log holds the envelope, partitioned by the subject, so a user's events stay in one
partition, in order; nothing on it names or describes the person in clear.

A call that carries any identifier of a suppressed person (a SUPPRESS regulation) is
answered as any other and not written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from query.domain import identifiers_named, primary_identifier
from query.domain.pseudonyms import Pseudonyms
from query.domain.regulations import Suppressions
from schemas import Event, encode_event
from schemas.sealed import KeyRef, Sealer


class KeyMaker(Protocol):
    """Where subjects' keys come from (``streams.kafka.keys.SubjectKeys``)."""

    def current(self, subject: str, /) -> tuple[KeyRef, bytes] | None:
        """The key ``subject``'s values are sealed under, if it has one already."""

    async def key_for(self, subject: str, /) -> tuple[KeyRef, bytes]:
        """A key of ``subject``, made and acknowledged on the keys topic if it had none."""
        ...


class Sealing:
    def __init__(
        self,
        keys: KeyMaker,
        pseudonyms: Pseudonyms,
        suppressions: Suppressions,
        fresh: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._keys = keys
        self._pseudonyms = pseudonyms
        self._suppressions = suppressions
        self._fresh = fresh
        self._sealer = Sealer()

    async def in_force(self) -> None:
        """Return once ``suppressions`` holds every regulation the log held when called
        (``streams.regulations.log.RegulationLog.fresh``): a suppression another node
        acknowledged a moment ago holds for the call being answered here."""
        if self._fresh is not None:
            await self._fresh()

    def subject_of(self, event: Event) -> str:
        """The pseudonym of the event's primary identifier (every call has one)."""
        primary = primary_identifier(event)
        assert primary is not None, "a parsed call has a userId or an anonymousId"
        return self._pseudonyms.value(primary.kind, primary.value)

    def writable(self, events: Sequence[Event]) -> list[Event]:
        """The events no suppression covers (all of them, while none is in force)."""
        if not len(self._suppressions):
            return list(events)
        value, blocks = self._pseudonyms.value, self._suppressions.blocks
        # Each of its ids, previousId, email and external ids.
        return [e for e in events if not blocks([value(i.kind, i.value) for i in identifiers_named(e)])]

    async def seal(self, events: Sequence[Event]) -> list[tuple[bytes, bytes]]:
        """Each event's (partition key, sealed envelope), in order. The keys of the
        subjects new here are made at once (one round trip to the broker, not one each)."""
        subjects = [self.subject_of(event) for event in events]
        current = self._keys.current
        keys: dict[str, tuple[KeyRef, bytes]] = {}
        new: list[str] = []
        for subject in subjects:
            if subject not in keys:
                found = current(subject)
                if found is None:
                    new.append(subject)
                else:
                    keys[subject] = found
        if new:
            new = list(dict.fromkeys(new))
            keys.update(zip(new, await asyncio.gather(*(self._keys.key_for(s) for s in new))))
        seal = self._sealer.seal_event
        return [
            (subject.encode(), seal(*keys[subject], encode_event(event))) for subject, event in zip(subjects, events)
        ]
