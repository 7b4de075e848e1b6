"""What the edge writes of each call: sealed under its subject's key, or nothing.

Before an event goes onto the log, its subject (the pseudonym of its primary
identifier) gets a data key if it has none (``streams.kafka.keys``: written and acked
first), and the event's whole wire form is sealed under it (``schemas.sealed``'s
binary envelope). The log holds the envelope, partitioned by the subject, so a user's
events stay in one partition, in order; nothing on it names or describes the person
in clear.

A call that carries any identifier of a suppressed person (a SUPPRESS regulation) is
answered as any other and not written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from query.domain import identifiers_named, primary_named
from query.domain.pseudonyms import Pseudonyms
from query.domain.regulations import Suppressions
from schemas import Event, encode_event
from schemas.sealed import KeyRef, Sealer


class KeyMaker(Protocol):
    """Where subjects' keys come from (``streams.kafka.keys.SubjectKeys``)."""

    def current(self, subject: str, /) -> tuple[KeyRef, bytes] | None:
        """The key ``subject``'s values are sealed under, if it has one already."""

    async def keys_for(self, subjects: Iterable[str], /) -> dict[str, tuple[KeyRef, bytes]]:
        """A key of each of ``subjects``, those with none made and acknowledged on the
        keys topic at once."""
        ...


@dataclass(frozen=True, slots=True)
class Sealed:
    """What the edge writes of a call's events: each written one's (partition key,
    envelope), in order, and how many it does not write (suppressed)."""

    records: list[tuple[bytes, bytes]]
    suppressed: int


async def _now() -> None:
    return None


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
        """Return once ``suppressions`` holds every regulation acknowledged a moment
        before this call or earlier (``streams.regulations.log.RegulationLog.in_force``):
        a suppression another node's createRegulation answered holds for it."""
        if self._fresh is not None:
            await self._fresh()

    async def seal(self, events: Sequence[Event], in_force: Awaitable[None] | None = None) -> Sealed:
        """The events no suppression covers, each sealed under its subject's key.

        ``in_force`` (this call's ``in_force()``, asked when the call came) is awaited
        only once the events of people who have a key are sealed: the broker's answer
        comes while the CPU seals, rather than the call waiting for it first. Then the
        events a suppression covers are dropped (their envelopes unused), and the keys of
        the subjects new here are made, at once (one round trip to the broker, not one
        each): no key is made for a suppressed person.
        """
        value = self._pseudonyms.value
        subjects = [_subject(event, value) for event in events]
        current, seal = self._keys.current, self._sealer.seal_event
        envelopes: list[bytes | None] = []
        for subject, event in zip(subjects, events):
            key = current(subject)
            envelopes.append(None if key is None else seal(*key, encode_event(event)))
        await (in_force or _now())
        kept: Sequence[int] = range(len(events))
        if len(self._suppressions):
            kept = [i for i in kept if not self._covered(events[i], subjects[i])]
        keys: dict[str, tuple[KeyRef, bytes]] = {}
        new = [subjects[i] for i in kept if envelopes[i] is None]
        if new:
            keys = await self._keys.keys_for(new)
        records = []
        for i in kept:
            envelope = envelopes[i]
            if envelope is None:
                envelope = seal(*keys[subjects[i]], encode_event(events[i]))
            records.append((subjects[i].encode(), envelope))
        return Sealed(records, len(events) - len(kept))

    def _covered(self, event: Event, subject: str) -> bool:
        """Whether a suppression covers any identifier of ``event``: its ids, previousId,
        email and external ids (``subject`` is its primary one's pseudonym)."""
        suppressions, value = self._suppressions, self._pseudonyms.value
        return subject in suppressions or any(value(*named) in suppressions for named in identifiers_named(event))


def _subject(event: Event, pseudonym: Callable[[str, str], str]) -> str:
    """The pseudonym of the event's primary identifier (every call has one)."""
    primary = primary_named(event)
    assert primary is not None, "a parsed call has a userId or an anonymousId"
    return pseudonym(*primary)
