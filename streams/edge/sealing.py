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
subject, its key made ready to seal with, and whether a call naming only those two ids is
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
from schemas.sealed import EventKey, KeyRef, Sealer


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


def _no_key(nonce: bytes, plaintext: bytes, associated: bytes | None) -> bytes:
    raise AssertionError("sealed under no key: a subject's key is made before their events are sealed")


# The key of a person who has none yet.
_NO_KEY: Final = EventKey(b"", _no_key)


class _Person:
    """A person as the edge met them, by (userId, anonymousId): their subject, its
    partition key and its key made ready to seal with (``_NO_KEY`` until it has one), and
    whether a call that names only those two ids is suppressed (as of
    ``Suppressions.changes``)."""

    __slots__ = ("subject", "key", "sealing", "as_of", "covered")

    def __init__(self, subject: str, sealing: EventKey) -> None:
        self.subject, self.key, self.sealing = subject, subject.encode(), sealing
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
        # Each person's subject and key, found once rather than per event (a batch
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
        once the call is sealed, in the common case (everyone in it has a key, nobody
        is suppressed as far as this copy knows): the broker's answer comes while the
        CPU seals, rather than the call waiting for it first. If a regulation came
        meanwhile, or someone has no key yet, the call is judged again as of then, and
        the keys of the subjects new here are made, at once (one round trip to the
        broker, not one each): no key is made for a suppressed person.
        """
        if self._keys.replaced != self._keys_replaced:  # a deletion: drop what it held
            self._people.clear()
            self._keys_replaced = self._keys.replaced
        suppressions = self._suppressions
        as_of = suppressions.changes
        people, person_of = self._people.get, self._person
        found = [people((event.user_id, event.anonymous_id)) or person_of(event) for event in events]
        kept_events, kept = events, found
        if len(suppressions):
            drops, ids_alone = self._drops, named_by_ids_alone
            # (The common case asks nothing more: a known person's two ids, not suppressed.)
            verdicts = [
                (person.as_of != as_of or person.covered or not ids_alone(event)) and drops(event, person, as_of)
                for event, person in zip(events, found)
            ]
            if any(verdicts):
                kept_events = [event for event, dropped in zip(events, verdicts) if not dropped]
                kept = [person for person, dropped in zip(found, verdicts) if not dropped]
        if all(person.sealing is not _NO_KEY for person in kept):
            envelopes = self._sealer.seal_events(
                [person.sealing for person in kept], [encode_event(event) for event in kept_events]
            )
            await (in_force or _now())
            if suppressions.changes == as_of:
                return Sealed([(person.key, envelope) for person, envelope in zip(kept, envelopes)], len(events) - len(kept))
        else:
            await (in_force or _now())
        return await self._sealed_as_of_now(events, found)

    async def _sealed_as_of_now(self, events: Sequence[Event], found: list[_Person]) -> Sealed:
        """The call judged by the suppressions as they are, its new subjects' keys made."""
        as_of, drops = self._suppressions.changes, self._drops
        kept = list(zip(events, found))
        if len(self._suppressions):
            kept = [(event, person) for event, person in kept if not drops(event, person, as_of)]
        new = {person.subject for _, person in kept if person.sealing is _NO_KEY}
        if new:
            made = {subject: self._sealer.event_key(*key) for subject, key in (await self._keys.keys_for(new)).items()}
            for _, person in kept:
                if person.sealing is _NO_KEY:
                    person.sealing = made[person.subject]
        envelopes = self._sealer.seal_events([p.sealing for _, p in kept], [encode_event(event) for event, _ in kept])
        return Sealed([(person.key, envelope) for (_, person), envelope in zip(kept, envelopes)], len(events) - len(kept))

    def _person(self, event: Event) -> _Person:
        """The person ``event`` names, kept for their next events."""
        primary = primary_named(event)
        assert primary is not None, "a parsed call has a userId or an anonymousId"
        subject = self._pseudonyms.value(*primary)
        key = self._keys.current(subject)
        person = _Person(subject, _NO_KEY if key is None else self._sealer.event_key(*key))
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
