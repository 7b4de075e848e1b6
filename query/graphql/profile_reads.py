"""Finding a profile and reading its timeline through a ProfileReader (no GraphQL types here).

A profile is found from any of its identifiers (`find_profile`); its state is the merge
of the states of its members that events are keyed by (`profile_state`); its timeline
is the merge of those members' timeline ranges (`read_timeline`). Email and external
ids key no events: they only lead to a profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Final, Generic, TypeVar

from query.domain import (
    ANONYMOUS_ID,
    EMAIL,
    USER_ID,
    Identifier,
    InvalidKeyError,
    Page,
    ProfileIdentities,
    ProfileState,
    TimelineEntry,
    TimelineFilter,
    check_page_size,
    decode_cursor,
    encode_identifier,
    merge_all,
    merge_pages,
    timeline_start_key,
)
from query.domain.identity import normalise_email
from query.graphql.errors import InvalidArgumentError
from query.store import ProfileReader

# The kinds events are keyed by (`query.domain.primary_identifier`).
EVENT_KINDS: Final = frozenset({USER_ID, ANONYMOUS_ID})
# An id given without its type: the most specific kind that knows it wins.
LOOKUP_ORDER: Final = (USER_ID, ANONYMOUS_ID, EMAIL)


def identifier(kind: str, value: str) -> Identifier:
    """The identifier a caller names, normalised as the identity fold stores it.

    Raises InvalidArgumentError when `kind` is blank or a part is too long to be a key.
    """
    kind = kind.strip()
    if not kind:
        raise InvalidArgumentError("idType", "must not be blank")
    found = Identifier(kind, normalise_email(value) if kind == EMAIL else value)
    try:
        encode_identifier(found)
    except InvalidKeyError as e:
        # Nothing that long was ever stored; say so rather than answer "unknown".
        raise InvalidArgumentError("id", e.detail) from e
    return found


async def find_profile(
    reader: ProfileReader, value: str, kind: str | None = None
) -> ProfileIdentities | None:
    """The profile `value` (of `kind`, else of the first kind in LOOKUP_ORDER that knows
    it) belongs to; None when nothing is known of it."""
    for k in LOOKUP_ORDER if kind is None else (kind,):
        candidate = identifier(k, value)
        profile_id = await reader.profile_of(candidate)
        if profile_id is not None:
            # A dangling identity row (its profile row missing) reads as a profile of its own.
            return await reader.identities(profile_id) or ProfileIdentities((candidate,))
        # An identifier no link touched has no identity row, yet its own events make it
        # a profile of its own.
        if candidate.kind in EVENT_KINDS and await reader.profile_state(candidate) is not None:
            return ProfileIdentities((candidate,))
    return None


def event_members(members: Iterable[Identifier]) -> list[Identifier]:
    """The members events are keyed by."""
    return [m for m in members if m.kind in EVENT_KINDS]


async def profile_state(reader: ProfileReader, members: Iterable[Identifier]) -> ProfileState | None:
    """The merged state of a profile's members; None when none of them has events."""
    # In turn, not gathered: see streams.pacing.
    states = [await reader.profile_state(m) for m in event_members(members)]
    return merge_all(s for s in states if s is not None)


# Timeline entries read of each member at first: a page and the row past it, and a
# few more for the ones a filter or the cursor leaves out.
FIRST_READ = 32
V = TypeVar("V")


class _Counted(Generic[V]):
    """A member's entries as read, and whether the merge reached their end."""

    def __init__(self, rows: Sequence[tuple[bytes, V]]) -> None:
        self._rows = rows
        self.ended = False

    def __iter__(self) -> Iterator[tuple[bytes, V]]:
        yield from self._rows
        self.ended = True


async def read_timeline(
    reader: ProfileReader,
    members: Iterable[Identifier],
    first: int,
    after: str | None,
    filters: TimelineFilter,
) -> Page[TimelineEntry]:
    """Up to `first` events of the members' merged timelines after cursor `after`.

    Raises PageSizeError for `first` outside 0..MAX_PAGE and InvalidCursorError for an
    `after` that is not a timeline cursor, whether or not the profile is known.
    """
    check_page_size(first)
    cursor = None if after is None else decode_cursor(after)
    keyed = event_members(members)
    starts = [timeline_start_key(m, cursor, filters.to_ms) for m in keyed]
    limit = max(first + 2, FIRST_READ)
    while True:
        read = [await reader.timeline(m, start, limit) for m, start in zip(keyed, starts)]
        counted = [_Counted(rows) for rows, _ in read]
        page = merge_pages(counted, first, cursor, filters)
        # A member whose entries the merge used up while more were stored may hide
        # some of the page: read more of each and merge again.
        if not any(c.ended and more for c, (_, more) in zip(counted, read)):
            return page
        limit *= 4
