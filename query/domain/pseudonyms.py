"""Identifiers as the tables and the log hold them: keyed hashes, never in clear.

Every identifier of a person (userId, anonymousId, email, an external id) is stored
under its pseudonym: ``~`` and 32 hex digits of HMAC-SHA256 under the node's secret
(``TRACKLOG_SECRET``) of its kind and value. Only a holder of the secret can turn an
identifier into its pseudonym (to look it up); nobody can turn a pseudonym back. Table
keys, changelog keys, tombstones, identity links and regulations name people this way,
so what is left once a person's data keys are gone (``streams`` crypto-shreds the
values) says nothing about them.

Values the identity guards block (``""``, ``"anonymous"``...) are junk, never a person:
they stay as they are, so the guards still see and refuse them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Final

from query.domain.identity import Identifier, IdentityGuards, Link, link

MARK: Final = "~"
_DIGEST_HEX: Final = 32
_CACHE: Final = 65_536


@dataclass
class Pseudonyms:
    """Pseudonyms under one secret (bytes); a bounded cache of the recent ones."""

    secret: bytes
    guards: IdentityGuards = field(default_factory=IdentityGuards)
    _cache: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def value(self, kind: str, value: str) -> str:
        """The pseudonym of one identifier's value (of its kind)."""
        found = self._cache.get((kind, value))
        if found is None:
            if self.guards.is_blocked(Identifier(kind, value)):
                return value
            if len(self._cache) >= _CACHE:
                self._cache.clear()
            digest = hmac.new(self.secret, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()
            found = self._cache[(kind, value)] = MARK + digest[:_DIGEST_HEX]
        return found

    def of(self, identifier: Identifier) -> Identifier:
        """The identifier as the tables hold it (same kind, its pseudonym as value)."""
        return Identifier(identifier.kind, self.value(identifier.kind, identifier.value))

    def link(self, stated: Link) -> Link:
        """The link between the two identifiers' pseudonyms, in canonical order."""
        return link(self.of(stated.a), self.of(stated.b))


def is_pseudonym(value: str) -> bool:
    return len(value) == _DIGEST_HEX + 1 and value.startswith(MARK)
