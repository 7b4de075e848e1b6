"""The node: everything one node runs, wired from the settings (see ``streams.node.worker``)."""

from __future__ import annotations

import logging

from query.graphql import Context
from query.graphql.schema import Limits, build_schema
from registry import SchemaChange
from registry.plans.judge import ViolationRecord
from streams.adapters.faust import owns_partition
from streams.agents import install_agents
from streams.cluster.endpoint import internal_read_route
from streams.cluster.peers import Peers
from streams.cluster.placement import Placement
from streams.cluster.tables import Cluster, ClusterTable
from streams.edge.app import build_http_app
from streams.edge.ingest import Ingest
from streams.edge.sealing import Sealing
from streams.kafka.app import Tracklog
from streams.kafka.feed import KafkaFeed, change_feed
from streams.kafka.producer import EventProducer
from streams.metrics import Metrics
from streams.node.worker import NodeService, NodeWorker
from streams.pacing import Requests
from streams.plans.log import PlanLog
from streams.plans.quarantine import Quarantine
from streams.plans.store import LoggedPlans
from streams.plans.violations import TableViolations
from streams.regulations.executor import Executor
from streams.regulations.log import RegulationLog
from streams.regulations.store import LoggedRegulations
from streams.settings import Settings
from streams.state.commands import LoggedSchemaCommands
from streams.state.memory import share_rocksdb_memory
from streams.state.readers import TableGraph, TableProfileReader, TableSchemaReader

logger = logging.getLogger(__name__)


class Node:
    """Everything one node runs, wired from the settings."""

    def __init__(self, settings: Settings) -> None:
        if not settings.broker:
            raise ValueError("TRACKLOG_BROKER is not set (kafka://host:port)")
        self.settings = settings
        self.ready = False
        self.tracklog = Tracklog(settings)
        share_rocksdb_memory(self.tracklog, settings.rocksdb_memory_mb * 2**20)
        self.metrics = Metrics()
        self.peers = Peers(settings.internal_token_value(), settings.forward_timeout)
        self.cluster = Cluster(
            self.tracklog.tables,
            Placement(self.tracklog.app, settings.node_url),
            self.peers,
            settings.read_wait,
            on_forward=lambda url, n: self.metrics.forwarded_reads.labels(url).inc(n),
        )
        reader = TableSchemaReader.of(self.tracklog, self.cluster)
        self.commands = LoggedSchemaCommands(self.tracklog, reader)
        self.feed = change_feed(settings.bootstrap_servers, self.tracklog.names.schema_changes)
        requests = Requests()
        self.tracklog.app.requests = requests
        install_agents(self.tracklog, self.metrics, self._on_change, requests)
        self.producer = EventProducer(
            settings.bootstrap_servers,
            self.tracklog.names.events,
            timeout=settings.produce_timeout,
        )
        tracklog = self.tracklog
        self._regulations()
        self._plans()
        ingest = Ingest(
            producer=self.producer,
            sealing=Sealing(
                tracklog.keys, tracklog.pseudonyms, self.regulations.suppressions, self.regulations.in_force
            ),
            source_for_key=settings.source_for_key,
            dev=settings.dev,
            metrics=self.metrics,
            max_inflight=settings.ingest_max_inflight,
        )
        self.http_app = build_http_app(
            ingest=ingest,
            context=self._context(reader),
            metrics=self.metrics,
            ready=lambda: self.ready,
            graphiql=settings.graphiql_enabled,
            schema=build_schema(
                Limits(
                    max_depth=settings.graphql_max_depth,
                    max_aliases=settings.graphql_max_aliases,
                    max_tokens=settings.graphql_max_tokens,
                    introspection=settings.introspection_enabled,
                )
            ),
            timeout=settings.graphql_timeout,
            tokens=settings.graphql_tokens,
            requests=requests,
            more_routes=[internal_read_route(self.cluster.local, settings.internal_token_value())],
        )

    def _context(self, reader: TableSchemaReader) -> Context:
        tracklog = self.tracklog
        return Context(
            schemas=reader,
            commands=self.commands,
            changes=self.feed,
            profiles=TableProfileReader.of(tracklog, reader, self.cluster),
            regulations=self.regulation_store,
            plans=LoggedPlans(self.plans, reader),
            violations=TableViolations(
                ClusterTable.of(self.cluster, tracklog.violations),
                ClusterTable.of(self.cluster, tracklog.violation_summary),
                self.violation_feed,
                self.quarantine,
            ),
        
        )

    def _regulations(self) -> None:
        """Every node's copy of the regulations topic, its API, and the executor that
        carries them out while this node holds the identity graph."""
        settings, tracklog = self.settings, self.tracklog
        self.regulations = RegulationLog(
            settings.bootstrap_servers, tracklog.names.regulations, timeout=settings.produce_timeout
        )
        graph = TableGraph(
            ClusterTable.of(self.cluster, tracklog.identities), ClusterTable.of(self.cluster, tracklog.profile_members)
        )
        self.regulation_store = LoggedRegulations(self.regulations, tracklog.pseudonyms, graph.members)
        self.executor = Executor(
            log=self.regulations,
            keys=tracklog.keys,
            names=tracklog.names,
            partitions=settings.partitions,
            owns_graph=lambda: owns_partition(tracklog.app, tracklog.names.identity_links, 0),
            forget_within_ms=settings.forget_within_ms,
        )

    def _plans(self) -> None:
        """Every node's copy of the tracking plans; route-events judges events by them."""
        settings, names = self.settings, self.tracklog.names
        self.plans = PlanLog(
            settings.bootstrap_servers, names.plans, names.events, settings.partitions, timeout=settings.produce_timeout
        )
        self.violation_feed = KafkaFeed(settings.bootstrap_servers, names.violations, ViolationRecord.from_dict)
        self.quarantine = Quarantine(
            settings.bootstrap_servers, names.quarantine, names.events, timeout=settings.produce_timeout
        )

    def _on_change(self, change: SchemaChange) -> None:
        logger.info(
            "schema change %s %s %s: %s %s",
            change.key.source,
            change.key.event or change.key.type,
            change.path,
            change.change.kind.value,
            change.change.to_type.value,
        )

    def run(self) -> None:
        """Run until stopped by a signal; raises SystemExit like any Faust worker."""
        worker = NodeWorker(
            self,
            NodeService(self),
            loglevel=self.settings.log_level,
            redirect_stdouts=False,
        )
        worker.execute_from_commandline()
