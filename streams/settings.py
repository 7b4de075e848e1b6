"""The one settings object: every knob, read from ``TRACKLOG_*`` environment variables.

Built once in the CLI entrypoint and passed down; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TRACKLOG_", extra="ignore", hide_input_in_errors=True
    )

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    data_dir: Path = Path("./var")
    # ``kafka://host:port[,host:port]``; empty means "start the embedded broker" in dev.
    broker: str = ""
    # ``key1=web,key2=ios``: write key -> source name. Secret: keys are credentials.
    write_keys: SecretStr = SecretStr("")
    dev: bool = False
    topic_prefix: str = "tracklog"
    partitions: int = 4
    # Standby copies of every table partition this node does not own. With N nodes,
    # N - 1 gives every node a full (slightly lagging) copy, so any node answers any read.
    standby_replicas: int = 0
    # Copies the brokers keep of every topic partition (the log and the changelogs). One
    # in dev; three on a cluster of three brokers or more, where a write is then
    # acknowledged once two hold it (min.insync.replicas), so a broker may die.
    replication_factor: int = Field(default=1, ge=1)
    # How long an ingestion request waits for the broker's acknowledgement before 503.
    produce_timeout: float = 10.0
    # Ingestion requests handled at once; past it, 503 with Retry-After at once. Each
    # holds at most a 500 KB body and its events, so this bounds the edge's memory
    # when the broker is slow.
    ingest_max_inflight: int = Field(default=64, ge=1)
    # Seconds the broker waits for a silent node before it moves the node's partitions
    # to the others (and before a restarted node gets its own back after a crash).
    session_timeout: float = Field(default=10.0, ge=6.0, le=300.0)
    # How long a node may take to stop on SIGINT/SIGTERM before it exits for good
    # (streams.node.worker.NodeWorker: a Faust worker's shutdown can hang).
    stop_timeout: float = 20.0
    log_level: str = "info"
    kafka_libs: Path = REPO_ROOT / "broker" / "lib"
    kafka_heap: str = "512m"
    messageid_ttl_days: float = 7.0
    # What the node's RocksDB may hold in memory, all tables and partitions together:
    # half block cache, half memtables (see streams.state.buffers.share_rocksdb_memory).
    rocksdb_memory_mb: int = Field(default=128, ge=16)
    # ``token1,token2``: bearer tokens GraphQL requires outside dev mode.
    api_tokens: SecretStr = SecretStr("")
    # GraphQL limits per operation; a query past one is refused with an error.
    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 2000
    graphql_timeout: float = 10.0
    # On in dev, off otherwise, unless set.
    graphql_introspection: bool | None = None
    graphiql: bool | None = None
    # The key of identifiers' pseudonyms (any text of 16 bytes or more): every node of a
    # cluster shares it. Required outside dev; in dev it is made once and kept in
    # TRACKLOG_DATA_DIR/secret. Losing it loses the way from an id to its data.
    secret: SecretStr = SecretStr("")
    # How soon a deleted data key's record is compacted out of the keys topic (its
    # segment.ms and max.compaction.lag.ms): a regulation is FINISHED only after that.
    forget_within_ms: int = Field(default=60_000, ge=100)
    # The URL the other nodes reach this one's HTTP at (reads are forwarded there);
    # http://TRACKLOG_HTTP_HOST:TRACKLOG_HTTP_PORT when empty.
    advertised_url: str = ""
    # The bearer token nodes forward reads to each other with (/internal/read); every
    # node of a cluster needs the same one. Derived from TRACKLOG_SECRET when empty.
    internal_token: SecretStr = SecretStr("")
    # How long a read waits for a partition no node serves (a rebalance, an owner just
    # gone) before it is answered 503, and how long a forwarded read may take.
    read_wait: float = Field(default=3.0, gt=0)
    forward_timeout: float = Field(default=2.0, gt=0)

    @field_validator("secret")
    @classmethod
    def _check_secret(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value().encode()) < 16:
            raise ValueError("TRACKLOG_SECRET must be at least 16 bytes")
        return value

    def secret_bytes(self) -> bytes:
        """The pseudonyms' key: TRACKLOG_SECRET, or in dev the one kept in the data dir.

        Raises ValueError outside dev when none is set (a node must not make one up:
        every node of a cluster needs the same one).
        """
        given = self.secret.get_secret_value()
        if given:
            return given.encode()
        if not self.dev:
            raise ValueError("TRACKLOG_SECRET is not set: every node needs the same secret of 16 bytes or more")
        path = Path(self.data_dir) / "secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    @property
    def node_url(self) -> str:
        """The URL the other nodes reach this node at."""
        return self.advertised_url.rstrip("/") or f"http://{self.http_host}:{self.http_port}"

    def internal_token_value(self) -> str:
        """The token of /internal/read: TRACKLOG_INTERNAL_TOKEN, or one derived from the
        secret every node shares (so a cluster needs no second secret to set)."""
        given = self.internal_token.get_secret_value()
        if given:
            return given
        return hmac.new(self.secret_bytes(), b"tracklog internal reads", hashlib.sha256).hexdigest()

    @field_validator("write_keys")
    @classmethod
    def _check_write_keys(cls, value: SecretStr) -> SecretStr:
        _parse_write_keys(value.get_secret_value())
        return value

    def source_for_key(self, key: str) -> str | None:
        """The source a write key names, or None when the key is not configured."""
        return _parse_write_keys(self.write_keys.get_secret_value()).get(key)

    @property
    def graphql_tokens(self) -> frozenset[str] | None:
        """The tokens GraphQL requires: None in dev (open on loopback)."""
        if self.dev:
            return None
        raw = self.api_tokens.get_secret_value()
        return frozenset(token.strip() for token in raw.split(",") if token.strip())

    @property
    def introspection_enabled(self) -> bool:
        return self.dev if self.graphql_introspection is None else self.graphql_introspection

    @property
    def graphiql_enabled(self) -> bool:
        return self.dev if self.graphiql is None else self.graphiql

    @property
    def bootstrap_servers(self) -> str:
        """``host:port,...`` from ``broker`` (``kafka://`` stripped)."""
        return ",".join(
            part.removeprefix("kafka://") for part in self.broker.split(",") if part
        )


@lru_cache(maxsize=8)
def _parse_write_keys(spec: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, source = item.partition("=")
        if not sep or not key.strip() or not source.strip():
            # Never echo the item: it holds a credential.
            raise ValueError(
                f"TRACKLOG_WRITE_KEYS item #{len(pairs) + 1} is not of the form key=source"
            )
        pairs[key.strip()] = source.strip()
    return pairs
