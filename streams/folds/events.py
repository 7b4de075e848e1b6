"""The query store's event fold over key/value tables: shared by route-events and rebuild.

``EventFold`` runs in the ``events`` partition of the event's primary identifier: it
dedupes by messageId, appends the event to that identifier's timeline (one put, never
a rewrite) and folds its profile row; it returns the identity links the event states,
less those it returned lately (see ``EventFold.fold``).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

from query.domain import (
    Link,
    LinkCause,
    ProfileState,
    TimelineEntry,
    apply_event,
    encode_identifier,
    links_of,
    primary_identifier,
    timeline_key,
)
from schemas import Event
from streams.folds.keys import dedupe_key
from streams.folds.links import StatedLink
from streams.folds.rows import Rows, drop_oldest

Table = MutableMapping[bytes, bytes]

_ABSENT = object()


@dataclass
class EventFold:
    """Folds events into three tables; profiles are kept decoded between events, so
    call ``write_back`` after a step of folds, before the tables are read or flushed."""

    dedupe: Table
    profiles: Table
    timeline: Table
    keep: int = 0  # rows kept decoded between steps (see streams.folds.rows)

    def __post_init__(self) -> None:
        self._profiles: Rows[ProfileState] = Rows(
            self.profiles, ProfileState.from_dict, ProfileState.to_dict, keep=self.keep
        )
        # The links returned lately, least recently stated first (a dict as an LRU).
        self._linked: dict[Link, None] = {}

    def write_back(self) -> None:
        self._profiles.write_back()
        # The least recently stated go: forgetting them all at once made every user's
        # link go out again (at a million events, fold-identities cost 4x as much an
        # event as at 100,000).
        drop_oldest(self._linked, self.keep)

    def fold(self, identity_key: bytes, event: Event, wire: bytes | None = None) -> list[StatedLink]:
        """Fold one event; return the identity links it states (none if already seen).
        ``wire`` is the event's bytes as the log holds them, the timeline's row.

        A link this fold stated lately (the ``keep`` stated last, kept across steps) is
        not returned again: every event of an identified user states the same link
        from its anonymousId, and a link applied or refused once is applied or
        refused for good (profiles only grow), so the graph needs it once.
        """
        seen = dedupe_key(b"events\x00" + identity_key, event.message_id)
        if self.dedupe.get(seen) is not None:
            return []
        primary = primary_identifier(event)
        if primary is not None:
            # The event's own bytes from the log (what the timeline keeps), when given.
            self.timeline[timeline_key(primary, event.timestamp_ms, event.message_id)] = (
                wire if wire is not None else TimelineEntry.bytes_of(event)
            )
            row = encode_identifier(primary)
            self._profiles.put(row, apply_event(self._profiles.get(row), event))
        self.dedupe[seen] = str(event.received_at_ms).encode()
        linked = self._linked
        links: list[Link] = []
        for link in links_of(event):
            if linked.pop(link, _ABSENT) is _ABSENT:
                links.append(link)
            linked[link] = None  # now the most recently stated
        if not links:
            return []
        cause = LinkCause.of(event)
        return [(link, cause) for link in links]
