"""The Faust app: its topics and tables, built from the settings.

Topic and table names all derive from ``topic_prefix``, so two apps with different
prefixes share a broker without seeing each other (tests rely on that).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from query.domain.pseudonyms import Pseudonyms
from streams.adapters.faust import App, Table, TableManager
from streams.kafka.keys import SubjectKeys
from streams.settings import Settings
from streams.signals import Changed

# Faust's topic-level codec: we encode and decode values ourselves (orjson), so the
# bytes on the log are exactly the documented JSON.
_RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}


@dataclass(frozen=True)
class TopicNames:
    events: str
    schema_input: str
    schema_changes: str
    identity_links: str
    dead_letter: str
    keys: str
    regulations: str
    plans: str
    violations: str
    quarantine: str

    @classmethod
    def for_prefix(cls, prefix: str) -> TopicNames:
        return cls(
            events=f"{prefix}.events",
            schema_input=f"{prefix}.schema-input",
            schema_changes=f"{prefix}.schema-changes",
            identity_links=f"{prefix}.identity-links",
            dead_letter=f"{prefix}.dead-letter",
            keys=f"{prefix}.keys",
            regulations=f"{prefix}.regulations",
            plans=f"{prefix}.plans",
            violations=f"{prefix}.violations",
            quarantine=f"{prefix}.quarantine",
        )


# Just under a broker's default message.max.bytes (1 MiB and a record-batch header).
STEP_BATCH_BYTES = 1_000_000


def _faust_app(settings: Settings) -> App:
    """The node's Faust app: Faust's, but for a consumer that delivers each message
    without tasks of its own (streams.adapters.faust)."""
    partitions = settings.partitions
    return App(
        settings.topic_prefix,
        broker=settings.broker,
        store="rocksdb://",
        datadir=str(Path(settings.data_dir) / "node"),
        # One HTTP framework: the node serves Starlette through uvicorn itself.
        web_enabled=False,
        # What the assignor tells the other nodes this node's tables are read at.
        canonical_url=settings.node_url,
        topic_partitions=partitions,
        topic_replication_factor=settings.replication_factor,
        producer_acks=-1,
        # A step's changelog records for one partition fit in one batch, so the
        # producer never waits for room mid-flush: every record of a flush reaches
        # the broker in the same produce request, and a node killed mid-step has
        # either all of the step's rows on a broker or none (see PartitionBuffers).
        producer_max_batch_size=STEP_BATCH_BYTES,
        consumer_auto_offset_reset="earliest",
        # Our agents do not iterate over buffers they would need drained on stop;
        # waiting for empty buffers is what hangs a stop after an agent crash.
        stream_wait_empty=False,
        table_standby_replicas=settings.standby_replicas,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        # Heartbeats come from the consumer's own thread, so a long step never
        # looks like a dead node; a third of the timeout, as Kafka advises.
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=settings.session_timeout / 3,
        autodiscover=False,
        TableManager=TableManager,
        # Tables (which take no per-table serializer) store our bytes as they are.
        key_serializer="raw",
        value_serializer="raw",
    )


def in_sync(replication_factor: int) -> dict[str, str]:
    """The topic config that makes an acknowledged write survive a broker: with three
    copies or more, two must hold a write before it is acknowledged (acks=all)."""
    return {"min.insync.replicas": "2"} if replication_factor >= 3 else {}


class Tracklog:
    """One node's Faust app, with handles on every topic and table it uses."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.names = TopicNames.for_prefix(settings.topic_prefix)
        partitions = settings.partitions
        self.app = _faust_app(settings)
        # People are named by pseudonyms, their data sealed under their subjects' keys
        # (see streams.folds.privacy); every node follows the keys topic.
        self.pseudonyms = Pseudonyms(settings.secret_bytes())
        self.keys = SubjectKeys(settings.bootstrap_servers, self.names.keys, timeout=settings.produce_timeout)
        self._declare_topics(partitions)
        self._declare_tables(partitions, settings)

    def _declare_topics(self, partitions: int) -> None:
        app = self.app
        self.events_topic = app.topic(self.names.events, partitions=partitions, **_RAW)
        # Keyed by schema key: each step's observations of a schema (from route-events)
        # and the column-policy commands of the mutation, so fold-schemas applies a
        # command among that schema's events in log order and a rebuild replays it.
        self.schema_input_topic = app.topic(
            self.names.schema_input, partitions=partitions, internal=True, **_RAW
        )
        self.schema_changes_topic = app.topic(
            self.names.schema_changes, partitions=partitions, **_RAW
        )
        self.dead_letter_topic = app.topic(self.names.dead_letter, partitions=1, **_RAW)
        # One partition: identity merges are serialised, so the graph stays consistent.
        self.identity_links_topic = app.topic(
            self.names.identity_links, partitions=1, internal=True, **_RAW
        )

    def _declare_tables(self, partitions: int, settings: Settings) -> None:
        app = self.app
        table: dict[str, Any] = {
            "key_type": bytes,
            "value_type": bytes,
            "partitions": partitions,
            # Faust applies standby changelog records in buffers of this size, and a
            # partial buffer waits for more: a quiet partition's standby copy would stay
            # stale. One at a time keeps every node's copy current (lagging by the
            # changelog's latency only).
            "standby_buffer_size": 1,
        }
        # Per (schema key, column path): the column's state and history. A mutation
        # waits on column_changes until its effect shows (streams.state.commands).
        self.column_changes = Changed()
        self.columns = app.Table(
            "schema-columns", on_changelog_event=self.column_changes.on_changelog_event, **table
        )
        # Per schema key: version, counts, the list of column paths.
        self.schemas = app.Table("schemas", **table)
        # Every schema change, under the orders schemaChanges serves, so a page is a
        # seek and a short scan (streams.folds.keys.change_index_prefix).
        self.change_index = app.Table("schema-change-index", **table)
        # Per (schema key, messageId): redelivered and replayed events change nothing.
        # Entries expire after the dedupe window (RocksDB TTL, by write time).
        self.schema_dedupe = app.Table(
            "schema-dedupe",
            options={"ttl": int(settings.messageid_ttl_days * 86_400)},
            **table,
        )

        # The query store, in the partition of each event's primary identifier.
        self.event_dedupe = app.Table(
            "event-dedupe",
            options={"ttl": int(settings.messageid_ttl_days * 86_400)},
            **table,
        )
        self.profiles = app.Table("profiles", **table)
        self.timeline = app.Table("timeline", **table)
        # The identity graph, on the single identity-links partition.
        graph: dict[str, Any] = {**table, "partitions": 1}
        self.identities = app.Table("identities", **graph)
        self.profile_members = app.Table("profile-members", **graph)
        # Per identifier (pseudonym): its value, sealed, for profiles to show.
        self.identity_names = app.Table("identity-names", **graph)

        # Per events partition (streams.folds.plans): the plan each source is held to
        # there, and the violations judged there, with their counts.
        self.plans_in_force = app.Table("plans-in-force", **table)
        self.violations = app.Table("violations", **table)
        self.violation_summary = app.Table("violation-summary", **table)

    @property
    def tables(self) -> list[Table]:
        """Every table of the app (their changelogs are part of its state)."""
        return [
            self.columns,
            self.schemas,
            self.schema_dedupe,
            self.change_index,
            self.event_dedupe,
            self.profiles,
            self.timeline,
            self.identities,
            self.profile_members,
            self.identity_names,
            self.plans_in_force,
            self.violations,
            self.violation_summary,
        ]

    @property
    def personal_tables(self) -> list[Table]:
        """The tables whose rows are a person's: a regulation deletes them, and their
        changelogs drop what was deleted within ``forget_within_ms``."""
        return [
            self.event_dedupe,
            self.profiles,
            self.timeline,
            self.identities,
            self.profile_members,
            self.identity_names,
        ]

    @property
    def topics_to_create(self) -> list[tuple[str, int, dict[str, str]]]:
        """Every topic this app reads or writes, with its partition count and config."""
        n = self.settings.partitions
        durable = in_sync(self.settings.replication_factor)
        compacted = {"cleanup.policy": "compact", **durable}
        keep = {"retention.ms": "-1", **durable}
        # A deleted key leaves the log within forget_within_ms: its segment rolls and is
        # compacted by then (KIP-354), so a regulation can finish in minutes.
        within = str(self.settings.forget_within_ms)
        forgetting = {
            **compacted,
            "segment.ms": within,
            "max.compaction.lag.ms": within,
            "min.cleanable.dirty.ratio": "0.01",
            "delete.retention.ms": within,
        }
        topics = [
            (self.names.events, n, keep),
            (self.names.schema_input, n, keep),
            (self.names.schema_changes, n, keep),
            (self.names.dead_letter, 1, keep),
            (self.names.identity_links, 1, keep),
            (self.names.keys, n, forgetting),
            # One partition: regulations and their steps, in the order made.
            (self.names.regulations, 1, keep),
            # One partition: the tracking plans' commands, in the order made.
            (self.names.plans, 1, keep),
            # Every violation judged, keyed by source, for downstream tools.
            (self.names.violations, n, keep),
            # Quarantined events (sealed, as on events) and the releases, in one order.
            (self.names.quarantine, 1, keep),
        ]
        personal = {table.name for table in self.personal_tables}
        for table in self.tables:
            topics.append(
                (
                    table.changelog_topic.get_topic_name(),
                    table.partitions or n,
                    forgetting if table.name in personal else compacted,
                )
            )
        return topics
