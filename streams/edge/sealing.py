"""What the edge writes of each call: sealed under its subject's key, or nothing.

Before an event goes onto the log, its subject (the pseudonym of its primary
identifier) gets a data key if it has none (``streams.kafka.keys``: written and acked
first), and the event's whole wire form is sealed under it (``schemas.sealed``'s
binary envelope). The log holds the envelope, partitioned by the subject, so a user's
events stay in one partition, in order; nothing on it names or describes the person
in clear.

A call that carries any identifier of a suppressed person (a SUPPRESS regulation) is
answered as any other and not written.

The edge keeps each person it meets ready, by their (userId, anonymousId): their
subject, a sealer of its key, and whether a call naming only those two ids is
suppressed. So a known person's event costs one lookup and the cipher, not two keyed
hashes and a key lookup. What it keeps holds while nothing changes: a deleted or
replaced key (``KeyMaker.replaced``) drops all of it, a suppression made or lifted
(``Suppressions.changes``) has each person judged again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from query.domain import ANONYMOUS_ID, extra_identifiers_named, named_by_ids_alone, primary_named
from query.domain.pseudonyms import Pseudonyms
from query.domain.regulations import Suppressions
from schemas import Event, encode_event
from schemas.sealed import KeyRef, Sealer


class KeyMaker(Protocol):
    """Where subjects' keys come from (``streams.kafka.keys.SubjectKeys``)."""

    @property
    def replaced(self) -> int:
        """How many times a subject's current key was replaced or dropped (a deletion):
        the keys ``current`` gave hold while this stays."""
        ...

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


# The people the edge keeps ready (a few hundred bytes each: their cipher, pseudonyms).
_PEOPLE: Final = 65_536


class _Person:
    """A person as the edge met them, by (userId, anonymousId): their subject, its
    partition key and a sealer of its key (None until it has one), and whether a call
    that names only those two ids is suppressed (as of ``Suppressions.changes``)."""

    __slots__ = ("subject", "key", "seal", "as_of", "covered")

    def __init__(self, subject: str, seal: Callable[[bytes], bytes] | None) -> None:
        self.subject, self.key, self.seal = subject, subject.encode(), seal
        self.as_of, self.covered = -1, False


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
        # Each person's subject and sealer, found once rather than per event (a batch
        # names ~95 people of its 100 events, the same ones again and again).
        self._people: dict[tuple[str | None, str | None], _Person] = {}
        self._keys_replaced = keys.replaced

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
        if self._keys.replaced != self._keys_replaced:  # a deletion: drop what it held
            self._people.clear()
            self._keys_replaced = self._keys.replaced
        suppressions = self._suppressions
        as_of, judging = suppressions.changes, bool(len(suppressions))
        people, person_of, drops, ids_alone = self._people.get, self._person, self._drops, named_by_ids_alone
        found: list[_Person] = []
        envelopes: list[bytes | None] = []  # None: not sealed yet (no key), or dropped
        dropped: set[int] = set()
        for i, event in enumerate(events):
            person = people((event.user_id, event.anonymous_id)) or person_of(event)
            found.append(person)
            # (The common case asks nothing more: a known person's two ids, not suppressed.)
            if judging and (person.as_of != as_of or person.covered or not ids_alone(event)) and drops(event, person, as_of):
                envelopes.append(None)
                dropped.add(i)
            else:
                envelopes.append(None if person.seal is None else person.seal(encode_event(event)))
        await (in_force or _now())
        kept: Sequence[int] = range(len(events))
        if suppressions.changes != as_of:  # a regulation came meanwhile: judge again
            as_of = suppressions.changes
            kept = [i for i in kept if not drops(events[i], found[i], as_of)]
        elif dropped:
            kept = [i for i in kept if i not in dropped]
        new = [found[i].subject for i in kept if envelopes[i] is None]
        if new:
            keys = await self._keys.keys_for(new)
            sealers = {subject: self._sealer.event_sealer(*key) for subject, key in keys.items()}
            for i in kept:
                if envelopes[i] is None:
                    person = found[i]
                    person.seal = sealers[person.subject]
                    envelopes[i] = person.seal(encode_event(events[i]))
        records = [(found[i].key, envelope) for i in kept if (envelope := envelopes[i]) is not None]
        return Sealed(records, len(events) - len(kept))

    def _person(self, event: Event) -> _Person:
        """The person ``event`` names, kept for their next events."""
        primary = primary_named(event)
        assert primary is not None, "a parsed call has a userId or an anonymousId"
        subject = self._pseudonyms.value(*primary)
        key = self._keys.current(subject)
        person = _Person(subject, None if key is None else self._sealer.event_sealer(*key))
        if len(self._people) >= _PEOPLE:
            self._people.clear()
        self._people[event.user_id, event.anonymous_id] = person
        return person

    def _drops(self, event: Event, person: _Person, as_of: int) -> bool:
        """Whether a suppression covers ``event`` (of ``person``), as of the suppressions'
        ``as_of``-th change: any of its identifiers (ids, previousId, email, external
        ids)."""
        suppressions, value = self._suppressions, self._pseudonyms.value
        if person.as_of != as_of:  # the person's two ids' answer, found once
            anonymous_id = event.anonymous_id
            person.as_of = as_of
            person.covered = person.subject in suppressions or (
                event.user_id is not None and anonymous_id is not None and value(ANONYMOUS_ID, anonymous_id) in suppressions
            )
        if person.covered or named_by_ids_alone(event):
            return person.covered
        return any(value(*named) in suppressions for named in extra_identifiers_named(event))
