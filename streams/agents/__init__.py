"""The agents: decode, call the pure folds (``streams.folds``), write the tables, emit.

One module per agent; each step's logic is a plain function over messages and folds
(``route``, ``fold_links``, ``fold_records``), so it is tested over dicts, and the
agent class around it owns the Faust stream, the producer and the flush. A message an
agent cannot process goes to the dead-letter topic with its reason and position
(``streams.agents.outbox.DeadLetters``); it never stops the partition.
"""

from __future__ import annotations

from typing import Any

from streams.agents.fold_identities import FoldIdentities
from streams.agents.fold_schemas import ChangeListener, FoldSchemas
from streams.agents.route_events import RouteEvents
from streams.kafka.app import Tracklog
from streams.metrics import Metrics
from streams.pacing import Requests

__all__ = ["ChangeListener", "install_agents"]


def install_agents(
    tracklog: Tracklog, metrics: Metrics, on_change: ChangeListener, requests: Requests | None = None
) -> None:
    """Register every agent on ``tracklog``'s Faust app; they yield to ``requests`` sooner."""
    route_events = RouteEvents(tracklog, metrics, requests)
    fold_schemas = FoldSchemas(tracklog, metrics, on_change, requests)
    for agent in (route_events, FoldIdentities(tracklog, metrics), fold_schemas):
        agent.install()

    async def forget_kept_rows(sender: Any, /, *args: Any, signal: Any = None, **kwargs: Any) -> None:
        # Another worker may write those partitions now: what the folds kept is stale.
        route_events.folds.forget()
        fold_schemas.folds.forget()

    tracklog.app.on_partitions_revoked.connect(forget_kept_rows)
