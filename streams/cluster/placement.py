"""Where each table partition is served from: this node, another node, or nowhere yet.

Faust's assignor names the node each changelog partition is active on (by the
``canonical_url`` every node advertises); this node serves a partition once it holds
it active and has read its changelog back (``streams.adapters.faust``).
"""

from __future__ import annotations

from typing import Final

import faust

from streams.adapters.faust import TP, Table, active_owners, assignment_generation, changelog_partition, serves_partition

# A partition this node serves itself.
HERE: Final = "here"


class Placement:
    def __init__(self, app: faust.App, url: str) -> None:
        self._app = app
        self._url = url.rstrip("/")
        self._owners: dict[str, dict[int, str]] = {}
        self._generation: object = None
        self._changelogs: dict[tuple[str, int], TP] = {}

    @property
    def url(self) -> str:
        """This node's own URL, as the others reach it."""
        return self._url

    def where(self, table: Table, partition: int) -> str | None:
        """``HERE``, the URL of the node that serves ``table``'s ``partition``, or None
        while no node does (a rebalance, a recovery, an owner just gone)."""
        changelog = self._changelogs.get((table.name, partition))
        if changelog is None:
            changelog = self._changelogs[table.name, partition] = changelog_partition(table, partition)
        if serves_partition(self._app, changelog):
            return HERE
        url = self._owners_of(table).get(partition)
        if url is None or url.rstrip("/") == self._url:
            return None  # ours, but not read back yet; or nobody's
        return url

    def _owners_of(self, table: Table) -> dict[int, str]:
        generation = assignment_generation(self._app)
        if generation is not self._generation:
            self._owners, self._generation = {}, generation
        owners = self._owners.get(table.name)
        if owners is None:
            owners = self._owners[table.name] = active_owners(self._app, table)
        return owners
