"""The identity graph's fold over key/value tables, and the records it folds.

``LinkFold`` runs on the single ``identity-links`` partition, so merges are serialised;
the agent and ``tracklog rebuild`` run it alike.

A record on ``identity-links`` holds the links one ``route-events`` step stated, in
order (``link_records``), so ``fold-identities`` consumes a record per step rather than
one per link::

    {"links": [{"l": {"a": identifier, "b": identifier}, "c": cause, "n": names}, ...]}

Identifiers are pseudonyms (``query.domain.pseudonyms``); ``names`` holds each one's
value sealed under the data key of the event that stated the link
(``{pseudonym: envelope}``), which the graph keeps in ``identity-names`` for profiles
to show. A record with the ``tracklog-kind`` header ``forget`` names a regulation's
members instead (``{"forget": regulation id, "members": [identifier, ...]}``): their
rows go from the graph's tables.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Protocol

import orjson

from query.domain import (
    DomainError,
    Identifier,
    IdentityGuards,
    Link,
    LinkCause,
    LinkResult,
    ProfileIdentities,
    apply_link,
    encode_identifier,
)
from streams.folds.records import RECORD_BYTES, split_records

Table = MutableMapping[bytes, bytes]


class Readable(Protocol):
    """What the graph reads of a table: a row by key."""

    def get(self, key: bytes, /) -> bytes | None: ...


# Each identifier's value, sealed, by its pseudonym.
Names = dict[str, str]
StatedLink = tuple[Link, LinkCause, Names]


def encode_links(links: list[StatedLink]) -> bytes:
    return orjson.dumps(
        {"links": [{"l": link.to_dict(), "c": cause.to_dict(), "n": names} for link, cause, names in links]}
    )


def link_records(links: list[StatedLink], limit: int = RECORD_BYTES) -> list[bytes]:
    """``links`` encoded as one record, or in order as several of at most ``limit`` bytes
    each (one link alone may be larger). No links, no records."""
    return split_records(links, encode_links, limit)


def decode_links(value: bytes) -> list[object]:
    """The undecoded entries (``{"l", "c"}``) of a record; ValueError if it is not a record."""
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"links: not JSON: {exc}") from None
    if isinstance(record, dict):
        links = record.get("links")
        if isinstance(links, list):
            return links
    raise ValueError("links: expected an object with a `links` array")


def decode_link(entry: object) -> StatedLink:
    """One entry of a record; raises ValueError or a DomainError naming what is wrong."""
    if not isinstance(entry, dict):
        raise ValueError("expected an object with `l`, `c` and `n`")
    stated, cause = Link.from_dict(entry.get("l")), LinkCause.from_dict(entry.get("c"))
    names = entry.get("n")
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise ValueError("n: expected an object of sealed names")
    return stated, cause, names


@dataclass
class LinksFolded:
    """What folding one record did: each applied link's result, in order, and the
    entries set aside, by index (each with its reason)."""

    results: list[LinkResult]
    failures: list[tuple[int, str]]

    @property
    def links(self) -> int:
        return len(self.results) + len(self.failures)


@dataclass
class LinkFold:
    identities: Table
    members: Table
    names: Table
    guards: IdentityGuards = field(default_factory=IdentityGuards)

    def view(self) -> GraphTables:
        return GraphTables(self.identities, self.members)

    def fold(self, value: bytes) -> LinksFolded:
        """Fold a record's links in order. An entry that cannot be read or applied is set
        aside (in ``failures``; it wrote nothing) and the rest still fold; ValueError if
        ``value`` is no record at all."""
        folded = LinksFolded([], [])
        for i, entry in enumerate(decode_links(value)):
            try:
                folded.results.append(self.apply(*decode_link(entry)))
            except (ValueError, DomainError) as exc:
                folded.failures.append((i, str(exc)))
        return folded

    def apply(self, link: Link, cause: LinkCause, names: Names) -> LinkResult:
        """Apply one link and write the rows it changes (none if it raises); the names
        of the identifiers it assigns are kept (the latest stated)."""
        result = apply_link(self.view(), link, cause, self.guards)
        for identifier, profile_id in result.assignments.items():
            key = encode_identifier(identifier)
            self.identities[key] = profile_id.encode()
            name = names.get(identifier.value)
            if name is not None:
                self.names[key] = name.encode()
        for profile_id, identities in result.profiles.items():
            self.members[profile_id.encode()] = orjson.dumps(identities.to_dict())
        for profile_id in result.removed:
            del self.members[profile_id.encode()]
        return result

    def forget(self, members: list[Identifier]) -> int:
        """Delete the rows of ``members`` and of the profiles they are in: every identity
        of those profiles goes with them. Returns how many identities went."""
        view = self.view()
        gone: set[Identifier] = set(members)
        for profile_id in {view.profile_of(m) for m in members} - {None}:
            assert profile_id is not None
            identities = view.identities(profile_id)
            if identities is not None:
                gone.update(identities.members)
            self.members.pop(profile_id.encode(), None)
        for identifier in gone:
            key = encode_identifier(identifier)
            self.identities.pop(key, None)
            self.names.pop(key, None)
        return len(gone)


@dataclass
class GraphTables:
    """The identity graph (a ``query.domain.GraphView``) over two key/value tables."""

    _identities: Readable
    _members: Readable

    def profile_of(self, identifier: Identifier) -> str | None:
        raw = self._identities.get(encode_identifier(identifier))
        return raw.decode() if raw is not None else None

    def identities(self, profile_id: str) -> ProfileIdentities | None:
        raw = self._members.get(profile_id.encode())
        return ProfileIdentities.from_dict(orjson.loads(raw)) if raw is not None else None
