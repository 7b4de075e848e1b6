"""The query store's event fold over key/value tables: shared by route-events and rebuild.

Every row is keyed by a pseudonym and every personal value in it sealed (see
``streams.folds.privacy``).

``EventFold`` runs in the ``events`` partition of the event's primary identifier: it
dedupes by messageId, appends the event to that identifier's timeline (one put, never
a rewrite) and folds its profile row; it returns the identity links the event states,
less those it returned lately (see ``EventFold.fold``).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Protocol

import orjson

from query.domain import (
    Link,
    LinkCause,
    ProfileState,
    apply_event,
    encode_identifier,
    Identifier,
    links_of,
    parse_timeline_key,
    primary_identifier,
    timeline_key,
    timeline_prefix,
)
from schemas import Event
from schemas.sealed import KeyRef
from streams.folds.keys import dedupe_key
from streams.folds.links import Names, StatedLink
from streams.folds.privacy import Privacy
from streams.folds.rows import Rows, drop_oldest

Table = MutableMapping[bytes, bytes]


class ScannedTable(Protocol):
    """A table whose rows under a prefix can be listed (``PartitionBuffer``, ``RowDict``)."""

    def __setitem__(self, key: bytes, value: bytes, /) -> None: ...
    def __delitem__(self, key: bytes, /) -> None: ...
    def scan(self, prefix: bytes, /) -> list[tuple[bytes, bytes]]: ...

_ABSENT = object()


# A profile row as a fold keeps it: the state, and the key its row is sealed under.
SealedProfile = tuple[ProfileState, KeyRef]


@dataclass
class EventFold:
    """Folds events into three tables; profiles are kept decoded between events, so
    call ``write_back`` after a step of folds, before the tables are read or flushed.

    Rows are keyed by pseudonyms and their personal values sealed (``privacy``): the
    timeline keeps each event's envelope from the log, a profile row is sealed under
    the key of the last event folded into it.
    """

    dedupe: Table
    profiles: Table
    timeline: ScannedTable
    privacy: Privacy
    keep: int = 0  # rows kept decoded between steps (see streams.folds.rows)

    def __post_init__(self) -> None:
        self._profiles: Rows[SealedProfile | None] = Rows(self.profiles, self._open, self._seal, keep=self.keep)
        # The links returned lately, least recently stated first (a dict as an LRU).
        self._linked: dict[Link, None] = {}

    def _open(self, row: object) -> SealedProfile | None:
        opened = self.privacy.open_row(row)
        if opened is None:
            return None  # its subject was forgotten: the profile starts afresh
        plaintext, ref = opened
        return ProfileState.from_dict(orjson.loads(plaintext)), ref

    def _seal(self, value: SealedProfile | None) -> dict[str, str]:
        assert value is not None, "a deleted row is not written"
        state, ref = value
        return self.privacy.seal_row(ref, orjson.dumps(state.to_dict()))

    def write_back(self) -> None:
        self._profiles.write_back()
        # The least recently stated go: forgetting them all at once made every user's
        # link go out again (at a million events, fold-identities cost 4x as much an
        # event as at 100,000).
        drop_oldest(self._linked, self.keep)

    def fold(self, event: Event, sealed: bytes, ref: KeyRef) -> list[StatedLink]:
        """Fold one event (opened from ``sealed``, its envelope on the log, under ``ref``);
        return the identity links it states, between pseudonyms (none if already seen).

        A link this fold stated lately (the ``keep`` stated last, kept across steps) is
        not returned again: every event of an identified user states the same link
        from its anonymousId, and a link applied or refused once is applied or
        refused for good (profiles only grow), so the graph needs it once.
        """
        pseudonyms = self.privacy.pseudonyms
        primary = primary_identifier(event)
        assert primary is not None, "every event on the log has a userId or an anonymousId"
        subject = pseudonyms.of(primary)
        seen = _seen_key(subject, event.message_id)
        if self.dedupe.get(seen) is not None:
            return []
        self.timeline[timeline_key(subject, event.timestamp_ms, event.message_id)] = sealed
        row = encode_identifier(subject)
        kept = self._profiles.get(row)
        self._profiles.put(row, (apply_event(None if kept is None else kept[0], event), ref))
        self.dedupe[seen] = str(event.received_at_ms).encode()
        linked = self._linked
        links: list[StatedLink] = []
        cause: LinkCause | None = None
        for clear in links_of(event):
            stated = pseudonyms.link(clear)
            if linked.pop(stated, _ABSENT) is _ABSENT:
                cause = cause or LinkCause.of(event)
                links.append((stated, cause, self._names(clear, stated, ref)))
            linked[stated] = None  # now the most recently stated
        return links

    def forget(self, members: list[Identifier]) -> int:
        """Delete every row of ``members`` (pseudonyms): profile, timeline, and the
        dedupe rows of the events in that timeline. Returns how many events went."""
        events = 0
        for member in members:
            for key, _ in self.timeline.scan(timeline_prefix(member)):
                _, _, message_id = parse_timeline_key(key)
                del self.timeline[key]
                self.dedupe.pop(_seen_key(member, message_id), None)
                events += 1
            self._profiles.delete(encode_identifier(member))
        return events

    def _names(self, clear: Link, stated: Link, ref: KeyRef) -> Names:
        """The identifiers' values, sealed, by pseudonym: how a profile shows them."""
        seal = self.privacy.seal
        return {
            stated.a.value: seal(ref, clear.a.value.encode()).decode(),
            stated.b.value: seal(ref, clear.b.value.encode()).decode(),
        }


def _seen_key(subject: Identifier, message_id: str) -> bytes:
    return dedupe_key(b"events\x00" + subject.value.encode(), message_id)
