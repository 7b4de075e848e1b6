"""The node's Prometheus metrics, served on ``/metrics``.

Each node has its own registry (not the process-global one), so several nodes in one
process (tests) do not collide.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._edge()
        self._loop()
        self._folds()

    def _edge(self) -> None:
        self.ingested = Counter(
            "tracklog_ingested_events",
            "Events acknowledged by the broker, by source.",
            ["source"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "tracklog_rejected_requests",
            "Ingestion requests answered with an error, by status.",
            ["status"],
            registry=self.registry,
        )
        self.inflight = Gauge(
            "tracklog_ingest_inflight_requests",
            "Ingestion requests being handled: read, parsed, or waiting for the broker.",
            registry=self.registry,
        )
        self.overloaded = Counter(
            "tracklog_ingest_overloaded_requests",
            "Ingestion requests refused (503) because the in-flight limit was reached.",
            registry=self.registry,
        )
        self.suppressed = Counter(
            "tracklog_suppressed_events",
            "Calls answered 200 and not written: they carry an identifier of a suppressed person.",
            registry=self.registry,
        )
        self.produce_seconds = Histogram(
            "tracklog_produce_seconds",
            "Time from a request's parse to the broker's acknowledgement.",
            registry=self.registry,
        )
        self.forwarded_reads = Counter(
            "tracklog_forwarded_reads",
            "Table reads this node sent to the node serving their partition, by that node's URL.",
            ["peer"],
            registry=self.registry,
        )

    def _loop(self) -> None:
        pauses = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
        self.gc_pauses = Histogram(
            "tracklog_gc_pause_seconds",
            "Collections of the cyclic garbage collector (everything stops while one runs), by generation.",
            ["generation"],
            buckets=pauses,
            registry=self.registry,
        )
        self.loop_lag = Histogram(
            "tracklog_event_loop_lag_seconds",
            "How late the event loop woke a task sleeping 50 ms: what a request arriving then waited.",
            buckets=pauses,
            registry=self.registry,
        )

    def _folds(self) -> None:
        self.violations = Counter(
            "tracklog_plan_violations",
            "Violations of tracking plans judged, by violation type and the action taken.",
            ["violation_type", "action"],
            registry=self.registry,
        )
        self.quarantined = Counter(
            "tracklog_quarantined_events",
            "Events a tracking plan's connection sent to the quarantine topic, not folded.",
            registry=self.registry,
        )
        self.forgotten = Counter(
            "tracklog_forgotten_events",
            "Events on the log whose subject's data keys were deleted (a regulation): skipped.",
            registry=self.registry,
        )
        self.processed = Counter(
            "tracklog_processed_messages",
            "Events folded by each agent (identity links for fold-identities; fold-schemas counts"
            " the events in its records of observations).",
            ["agent"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "tracklog_dead_letters",
            "Messages an agent could not process, sent to the dead-letter topic.",
            ["agent"],
            registry=self.registry,
        )
        self.schema_changes = Counter(
            "tracklog_schema_changes",
            "Schema changes folded on this node, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.merges = Counter(
            "tracklog_profile_merges",
            "Identity links that merged two profiles.",
            registry=self.registry,
        )
        self.refused_links = Counter(
            "tracklog_refused_links",
            "Identity links refused by a guard (blocked value, identity cap), by reason.",
            ["reason"],
            registry=self.registry,
        )

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
