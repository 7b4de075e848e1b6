"""The identity graph fold: which profile each identifier belongs to.

The graph is stored as two key/value tables, so that a link costs a few point
reads and writes however large the graph grows:

- identity: `Identifier -> profile id`, for every identifier some applied link
  touched. An identifier with no row is a profile of its own (`resolve`);
- profile identities: `profile id -> ProfileIdentities` (its members and the
  log of the merges that built it).

A profile's id is derived from its smallest member (`identifier_order`) by
`profile_id_for`. Union-find with that rule gives each connected component of
applied links one id whatever order the links came in: the identifier ->
profile map depends only on the set of applied links. When a link joins two
profiles, the one whose smallest member is smaller keeps its id and the other's
members move to it; a new identifier smaller than every member renames the
profile the same way. Both are recorded as a `Merge`.

Guards make one exception to order independence: once a profile is at the cap,
which links are refused depends on which arrived first. Refusals are returned,
never applied, so the caller counts them (a metric); replaying the same link is
refused again, so a count kept in a table must be deduped by the cause.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Protocol

from query.domain.fields import Reader
from query.domain.identity import (
    Identifier,
    IdentityGuards,
    Link,
    identifier_order,
    sort_identifiers,
)
from query.domain.keys import encode_identifier
from schemas.event import Event, EventType


def profile_id_for(anchor: Identifier) -> str:
    """The id of the profile whose smallest member is `anchor`.

    A hash, so that ids are fixed-length, never collide across kinds, and do not
    expose an email address or user id in URLs and logs.
    """
    return "p_" + hashlib.blake2b(encode_identifier(anchor), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class LinkCause:
    """The event that stated a link."""

    message_id: str
    type: EventType
    timestamp_ms: int

    @staticmethod
    def of(event: Event) -> LinkCause:
        return LinkCause(event.message_id, event.type, event.timestamp_ms)

    def to_dict(self) -> dict[str, Any]:
        return {"m": self.message_id, "t": self.type.value, "ts": self.timestamp_ms}

    @staticmethod
    def from_dict(d: object) -> LinkCause:
        r = Reader(d, "link cause")
        type_name = r.get_str("t")
        try:
            event_type = EventType(type_name)
        except ValueError:
            raise r.fail("t", f"not an event type: {type_name!r}") from None
        return LinkCause(r.get_str("m"), event_type, r.get_int("ts"))


@dataclass(frozen=True, slots=True)
class Merge:
    """Profile `from_` was folded into profile `into` by `link`, stated by `cause`."""

    into: str
    from_: str
    link: Link
    cause: LinkCause

    def to_dict(self) -> dict[str, Any]:
        return {
            "i": self.into,
            "f": self.from_,
            "l": self.link.to_dict(),
            "c": self.cause.to_dict(),
        }

    @staticmethod
    def from_dict(d: object) -> Merge:
        r = Reader(d, "merge")
        return Merge(
            into=r.get_str("i"),
            from_=r.get_str("f"),
            link=Link.from_dict(r.raw("l")),
            cause=LinkCause.from_dict(r.raw("c")),
        )


def _merge_order(m: Merge) -> tuple[int, str, str, str]:
    return (m.cause.timestamp_ms, m.cause.message_id, m.into, m.from_)


@dataclass(frozen=True, slots=True)
class ProfileIdentities:
    """The members of one profile, in `identifier_order`, and its merge log.

    `members[0]` is the anchor the profile id derives from; `merges` are in
    event-time order and include those of every profile folded into this one.
    """

    members: tuple[Identifier, ...]
    merges: tuple[Merge, ...] = ()
    # The id of the profile as stored, once its members are shown by name (`named`).
    stored_id: str | None = None

    @property
    def profile_id(self) -> str:
        return self.stored_id or profile_id_for(self.members[0])

    def named(self, names: Mapping[Identifier, Identifier]) -> ProfileIdentities | None:
        """The profile with its members (and its merges' links) as ``names`` shows them,
        under its stored id: a member ``names`` lacks is left out (its name is gone: it
        was forgotten). None when no member is left."""
        members = tuple(names[m] for m in self.members if m in names)
        if not members:
            return None
        merges = tuple(
            replace(m, link=Link(names.get(m.link.a, m.link.a), names.get(m.link.b, m.link.b))) for m in self.merges
        )
        return ProfileIdentities(members, merges, self.profile_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mb": [m.to_dict() for m in self.members],
            "mg": [m.to_dict() for m in self.merges],
        }

    @staticmethod
    def from_dict(d: object) -> ProfileIdentities:
        r = Reader(d, "profile identities")
        members = tuple(Identifier.from_dict(m) for m in r.get_list("mb"))
        if not members:
            raise r.fail("mb", "a profile has at least one member")
        if list(members) != sort_identifiers(members):
            raise r.fail("mb", "members are not distinct and sorted")
        return ProfileIdentities(members, tuple(Merge.from_dict(m) for m in r.get_list("mg")))


class GraphView(Protocol):
    """What `apply_link` reads: the two identity tables."""

    def profile_of(self, identifier: Identifier) -> str | None:
        """The profile id stored for `identifier`, or None when it has no row."""

    def identities(self, profile_id: str) -> ProfileIdentities | None:
        """The stored members of `profile_id`, or None when it has no row."""


class RefusalReason(str, Enum):
    BLOCKED_VALUE = "blocked_value"
    CAP_EXCEEDED = "cap_exceeded"


@dataclass(frozen=True, slots=True)
class LinkResult:
    """The rows one link changes; write them all, or none (one table batch).

    `assignments`: identity rows to set (identifier -> profile id);
    `profiles`: profile-identities rows to set; `removed`: profile-identities
    rows to delete (profiles folded into another). `merged` is the merge this
    link made, if any; `refused` why it was not applied, if it was not.
    """

    assignments: dict[Identifier, str] = field(default_factory=dict)
    profiles: dict[str, ProfileIdentities] = field(default_factory=dict)
    removed: tuple[str, ...] = ()
    merged: Merge | None = None
    refused: RefusalReason | None = None

    @property
    def changed(self) -> bool:
        return bool(self.assignments or self.profiles or self.removed)


def resolve(view: GraphView, identifier: Identifier) -> ProfileIdentities:
    """The profile `identifier` belongs to; a profile of its own when it has no row.

    A dangling identity row (its profile row missing) also reads as a profile
    of its own rather than failing a query.
    """
    profile_id = view.profile_of(identifier)
    if profile_id is not None:
        found = view.identities(profile_id)
        if found is not None:
            return found
    return ProfileIdentities((identifier,))


def apply_link(
    view: GraphView,
    link: Link,
    cause: LinkCause,
    guards: IdentityGuards | None = None,
) -> LinkResult:
    """Fold one link into the graph; return the rows to write.

    Applying a link whose ends already share a profile changes nothing, so
    redelivered links are harmless.
    """
    guards = guards or IdentityGuards()
    if guards.is_blocked(link.a) or guards.is_blocked(link.b):
        return LinkResult(refused=RefusalReason.BLOCKED_VALUE)
    side_a, side_b = resolve(view, link.a), resolve(view, link.b)
    if side_a.profile_id == side_b.profile_id:
        return LinkResult()
    members = sort_identifiers((*side_a.members, *side_b.members))
    if len(members) > guards.max_identities_per_profile:
        return LinkResult(refused=RefusalReason.CAP_EXCEEDED)

    # The side holding the smallest member keeps its id; the other is folded in.
    keep, fold = sorted(
        (side_a, side_b), key=lambda side: identifier_order(side.members[0])
    )
    into = keep.profile_id
    merge = Merge(into=into, from_=fold.profile_id, link=link, cause=cause)
    # A side that is a lone identifier without a row was never a stored profile:
    # joining it is growth, not a merge, unless it takes over the id (a rename).
    fold_stored = _stored(view, fold)
    merged = merge if fold_stored else None
    merges = sorted((*keep.merges, *fold.merges, *([merge] if merged else [])), key=_merge_order)

    assignments = {m: into for m in members if view.profile_of(m) != into}
    return LinkResult(
        assignments=assignments,
        profiles={into: ProfileIdentities(tuple(members), tuple(merges))},
        removed=(fold.profile_id,) if fold_stored else (),
        merged=merged,
    )


def _stored(view: GraphView, side: ProfileIdentities) -> bool:
    return view.identities(side.profile_id) is not None
