"""The identity graph's two tables as dicts: a ``query.domain.GraphView`` for tests."""

from __future__ import annotations

from query.domain import (
    Identifier,
    IdentityGuards,
    Link,
    LinkCause,
    LinkResult,
    ProfileIdentities,
    apply_link,
)


class MemoryGraph:
    """The two identity tables as dicts, written as a store adapter writes them."""

    def __init__(self) -> None:
        self.assigned: dict[Identifier, str] = {}
        self.profiles: dict[str, ProfileIdentities] = {}

    def profile_of(self, identifier: Identifier) -> str | None:
        return self.assigned.get(identifier)

    def identities(self, profile_id: str) -> ProfileIdentities | None:
        return self.profiles.get(profile_id)

    def apply(self, result: LinkResult) -> None:
        """Write the rows of one `LinkResult`, as a store adapter would."""
        for profile_id in result.removed:
            self.profiles.pop(profile_id, None)
        self.profiles.update(result.profiles)
        self.assigned.update(result.assignments)

    def link(
        self, link: Link, cause: LinkCause, guards: IdentityGuards | None = None
    ) -> LinkResult:
        """`apply_link` against this graph, then `apply` its result."""
        result = apply_link(self, link, cause, guards)
        self.apply(result)
        return result
