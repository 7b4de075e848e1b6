"""Finding a profile and reading its timeline through a ProfileReader (no GraphQL types here).

A profile is found from any of its identifiers (`find_profile`); its state is the merge
of the states of its members that events are keyed by (`profile_state`); its timeline
is the merge of those members' timeline ranges (`read_timeline`). Email and external
ids key no events: they only lead to a profile.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

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
    resolve,
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


def find_profile(
    reader: ProfileReader, value: str, kind: str | None = None
) -> ProfileIdentities | None:
    """The profile `value` (of `kind`, else of the first kind in LOOKUP_ORDER that knows
    it) belongs to; None when nothing is known of it."""
    for k in LOOKUP_ORDER if kind is None else (kind,):
        candidate = identifier(k, value)
        if _known(reader, candidate):
            return resolve(reader, candidate)
    return None


def _known(reader: ProfileReader, candidate: Identifier) -> bool:
    # An identifier no link touched has no identity row, yet its own events make it
    # a profile of its own.
    if reader.profile_of(candidate) is not None:
        return True
    return candidate.kind in EVENT_KINDS and reader.profile_state(candidate) is not None


def event_members(members: Iterable[Identifier]) -> list[Identifier]:
    """The members events are keyed by."""
    return [m for m in members if m.kind in EVENT_KINDS]


def profile_state(reader: ProfileReader, members: Iterable[Identifier]) -> ProfileState | None:
    """The merged state of a profile's members; None when none of them has events."""
    states = (reader.profile_state(m) for m in event_members(members))
    return merge_all(s for s in states if s is not None)


def read_timeline(
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
    iterators = [
        reader.timeline(m, timeline_start_key(m, cursor, filters.to_ms))
        for m in event_members(members)
    ]
    return merge_pages(iterators, first, cursor, filters)
