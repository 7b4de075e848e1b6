"""Typed identifiers, the identity links an event states, and the guards on links.

An `Identifier` is a (kind, value) pair: `user_id`, `anonymous_id`, `email`
(identify `traits.email`, stripped and lowercased) or an external id from
`context.externalIds` (kind = its `type`; an external id of type `email` is
normalised like the trait). Kinds keep equal strings apart: user "42" and
anonymous "42" are different identifiers until a link joins them.

A `Link` says two identifiers belong to one person:

- any event carrying both userId and anonymousId links them;
- an alias links previousId to userId. previousId's kind is not on the wire: it
  is usually the anonymousId the client had, sometimes an earlier userId. When
  it equals the event's own anonymousId it is that anonymous id; otherwise it
  is taken as *both* `user_id` and `anonymous_id`, each linked to the userId.
  That choice depends on nothing but the event, so the graph stays
  order-independent; the cost is one extra member that names no events when
  the guess was wrong;
- an identify's email, and every external id, is linked to the event's
  userId, else its anonymousId.

`IdentityGuards` say which links are never applied (a blocked value on either
side) and how large a profile may grow; `query.domain.graph` enforces them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from query.domain.errors import InvalidGuardsError
from query.domain.fields import Reader
from schemas.event import Event, EventType

USER_ID = "user_id"
ANONYMOUS_ID = "anonymous_id"
EMAIL = "email"

# Profile ids derive from the smallest member, so the rank decides which id
# names a merged profile: a userId before an email before any external id
# before an anonymousId (the least stable kind).
_RANK = {USER_ID: 0, EMAIL: 1, ANONYMOUS_ID: 3}
_EXTERNAL_RANK = 2

DEFAULT_BLOCKED_VALUES = frozenset(
    {"", "null", "undefined", "0", "anonymous", "none", "nil"}
)
DEFAULT_MAX_IDENTITIES = 100


@dataclass(frozen=True, slots=True)
class Identifier:
    """One typed identifier of a person."""

    kind: str
    value: str

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.kind, "v": self.value}

    @staticmethod
    def from_dict(d: object) -> Identifier:
        r = Reader(d, "identifier")
        return Identifier(r.get_str("k"), r.get_str("v"))


def identifier_order(identifier: Identifier) -> tuple[int, str, str]:
    """The total order on identifiers: (kind rank, kind, value)."""
    rank = _RANK.get(identifier.kind, _EXTERNAL_RANK)
    return (rank, identifier.kind, identifier.value)


def sort_identifiers(identifiers: Iterable[Identifier]) -> list[Identifier]:
    """The distinct identifiers, in `identifier_order`."""
    return sorted(set(identifiers), key=identifier_order)


@dataclass(frozen=True, slots=True)
class Link:
    """Two distinct identifiers of one person, stored smaller first (`link`)."""

    a: Identifier
    b: Identifier

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a.to_dict(), "b": self.b.to_dict()}

    @staticmethod
    def from_dict(d: object) -> Link:
        r = Reader(d, "link")
        return link(Identifier.from_dict(r.raw("a")), Identifier.from_dict(r.raw("b")))


def link(x: Identifier, y: Identifier) -> Link:
    """The link between two identifiers, in canonical (sorted) order."""
    if identifier_order(y) < identifier_order(x):
        x, y = y, x
    return Link(x, y)


@dataclass(frozen=True, slots=True)
class IdentityGuards:
    """Which links are never applied, and the cap on identities per profile.

    A value is blocked when its stripped, lowercased form is in
    `blocked_values` (compared case-insensitively, whatever the kind). A link
    that would make a profile of more than `max_identities_per_profile`
    identifiers is refused.
    """

    blocked_values: frozenset[str] = DEFAULT_BLOCKED_VALUES
    max_identities_per_profile: int = DEFAULT_MAX_IDENTITIES
    _folded: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_identities_per_profile < 2:
            raise InvalidGuardsError(
                "max_identities_per_profile",
                self.max_identities_per_profile,
                "a profile must be allowed at least 2 identities",
            )
        folded = frozenset(v.strip().casefold() for v in self.blocked_values)
        object.__setattr__(self, "_folded", folded)

    def is_blocked(self, identifier: Identifier) -> bool:
        return identifier.value.strip().casefold() in self._folded


def normalise_email(value: str) -> str:
    return value.strip().lower()


def primary_identifier(event: Event) -> Identifier | None:
    """The identifier the event is keyed by: its userId, else its anonymousId.

    This matches `Event.identity_key` (the `events` topic key), so rows keyed
    by it live in the partition that processes the event.
    """
    primary = primary_named(event)
    return None if primary is None else Identifier(*primary)


def primary_named(event: Event) -> tuple[str, str] | None:
    """`primary_identifier`'s (kind, value), without making an Identifier (the edge
    asks it of every event)."""
    if event.user_id is not None:
        return USER_ID, event.user_id
    if event.anonymous_id is not None:
        return ANONYMOUS_ID, event.anonymous_id
    return None


def identifiers_of(event: Event) -> list[Identifier]:
    """Every identifier the event names, distinct, in `identifier_order`."""
    found: list[Identifier] = []
    if event.user_id is not None:
        found.append(Identifier(USER_ID, event.user_id))
    if event.anonymous_id is not None:
        found.append(Identifier(ANONYMOUS_ID, event.anonymous_id))
    found.extend(_previous_ids(event))
    found.extend(_email(event))
    found.extend(_external_ids(event))
    return sort_identifiers(found)


# Calls whose links come from userId and anonymousId alone, without externalIds:
# neither traits (identify) nor previousId (alias) add any.
_USER_AND_ANONYMOUS_ONLY: Final = frozenset(
    {EventType.TRACK, EventType.PAGE, EventType.SCREEN, EventType.GROUP}
)


def named_by_ids_alone(event: Event) -> bool:
    """Whether the event's identifiers are its userId and anonymousId alone (most
    calls): no traits, previousId or externalIds name another."""
    return event.type in _USER_AND_ANONYMOUS_ONLY and "externalIds" not in event.context


def extra_identifiers_named(event: Event) -> list[tuple[str, str]]:
    """The (kind, value) of each identifier the event names besides its userId and
    anonymousId (previousId, email, external ids), unsorted, perhaps repeated: none for
    the calls `named_by_ids_alone`."""
    named = _previous_named(event)
    email = _email_of(event)
    if email is not None:
        named.append((EMAIL, email))
    named += _external_named(event)
    return named


def links_of(event: Event) -> list[Link]:
    """The links the event states (see the module doc), distinct and sorted.

    Blocked values are not filtered here: `apply_link` refuses them, so a
    refusal is seen and counted where the graph is folded.
    """
    if named_by_ids_alone(event):
        # The common case, and the result of the general path for it: only a track,
        # page, screen or group that carries both ids states a link, between them.
        if event.user_id is None or event.anonymous_id is None:
            return []
        return [link(Identifier(USER_ID, event.user_id), Identifier(ANONYMOUS_ID, event.anonymous_id))]
    return _links_general(event)


def _links_general(event: Event) -> list[Link]:
    user = None if event.user_id is None else Identifier(USER_ID, event.user_id)
    anon = None if event.anonymous_id is None else Identifier(ANONYMOUS_ID, event.anonymous_id)
    anchor = user or anon
    others = [*_email(event), *_external_ids(event)]
    if anchor is None and others:
        # No user or anonymous id to hang them on: join them to each other.
        anchor = min(others, key=identifier_order)
    pairs: list[tuple[Identifier, Identifier]] = []
    if user is not None and anon is not None:
        pairs.append((user, anon))
    if anchor is not None:
        pairs.extend((anchor, p) for p in _previous_ids(event))
        pairs.extend((anchor, o) for o in others)
    links = {link(x, y) for x, y in pairs if x != y}
    return sorted(links, key=lambda lk: (identifier_order(lk.a), identifier_order(lk.b)))


def _previous_ids(event: Event) -> list[Identifier]:
    return [Identifier(*named) for named in _previous_named(event)]


def _previous_named(event: Event) -> list[tuple[str, str]]:
    if event.type is not EventType.ALIAS or event.previous_id is None:
        return []
    previous = event.previous_id
    if previous == event.anonymous_id:
        return [(ANONYMOUS_ID, previous)]
    return [(USER_ID, previous), (ANONYMOUS_ID, previous)]


def _email(event: Event) -> list[Identifier]:
    email = _email_of(event)
    return [] if email is None else [Identifier(EMAIL, email)]


def _email_of(event: Event) -> str | None:
    # Only identify traits describe the user: a group call's traits are the group's.
    if event.type is not EventType.IDENTIFY:
        return None
    email = event.traits.get("email")
    if not isinstance(email, str) or not email.strip():
        return None
    return normalise_email(email)


def _external_ids(event: Event) -> list[Identifier]:
    return [Identifier(*named) for named in _external_named(event)]


def _external_named(event: Event) -> list[tuple[str, str]]:
    entries = event.context.get("externalIds")
    if not isinstance(entries, list):
        return []
    found: list[tuple[str, str]] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        kind, value = entry.get("type"), entry.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(kind, str) or not isinstance(value, str):
            continue
        kind = kind.strip()
        if not kind or not value:
            continue
        found.append((kind, normalise_email(value) if kind == EMAIL else value))
    return found
