"""The embedded broker: a single-node Apache Kafka (KRaft) run on the machine's Java.

Its jars come from Maven Central through ``broker/pom.xml`` (``make broker-libs``); its
log lives under ``<data_dir>/kafka`` so a restart keeps every event. The process is
tied to ours: it gets SIGTERM if we die (``PR_SET_PDEATHSIG``), and it runs in its own
session so a Ctrl-C in the terminal reaches us first and we stop it after the node.
"""

from __future__ import annotations

import base64
import ctypes
import logging
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from schemas.errors import TracklogError

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


class BrokerError(TracklogError):
    """The embedded broker could not be set up or started."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def new_cluster_id() -> str:
    """A Kafka cluster id (base64url of 16 random bytes), as ``kafka-storage random-uuid``.

    Like Kafka's own ``Uuid.randomUuid``, never one that starts with "-": the storage
    tool's argument parser would take it for an option (1 start in 64 failed here).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: if our process dies, even by SIGKILL,
    # the kernel sends the broker SIGTERM, so no orphan broker outlives us.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class EmbeddedBroker:
    """One Kafka node (broker and controller) on loopback, with its log on disk."""

    data_dir: Path
    libs: Path
    heap: str = "512m"
    host: str = "127.0.0.1"
    port: int = 0
    start_timeout: float = 60.0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.out"

    def start(self) -> str:
        """Start the broker and wait until it accepts connections; return ``host:port``."""
        jars = sorted(self.libs.glob("*.jar"))
        if not jars:
            raise BrokerError(
                f"no Kafka jars in {self.libs}: run `make broker-libs` "
                "(mvn dependency:copy-dependencies of broker/pom.xml)"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port(self.host)
        controller_port = free_port(self.host)
        config = self._write_config(controller_port)
        classpath = os.pathsep.join(str(jar) for jar in jars)
        self._format_storage(classpath, config)
        command = [
            "java",
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{self._write_log4j()}",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(config),
        ]
        logger.info("starting embedded Kafka on %s (log in %s)", self.bootstrap, self.log_file)
        out = open(self.log_file, "ab")
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            out.close()
        self._wait_ready()
        # Other commands (tracklog import) find a running embedded broker here.
        self.address_file.write_text(self.url)
        return self.bootstrap

    @property
    def address_file(self) -> Path:
        return self.data_dir / "running-at"

    @classmethod
    def running_url(cls, data_dir: Path) -> str | None:
        """The URL of the embedded broker running on ``data_dir``, if one is."""
        try:
            return (data_dir / "running-at").read_text().strip() or None
        except FileNotFoundError:
            return None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the broker cleanly (SIGTERM), for good after ``timeout`` (SIGKILL)."""
        self.address_file.unlink(missing_ok=True)
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.warning("embedded Kafka did not stop in %.0f s; killing it", timeout)
            process.kill()
            process.wait()

    def kill(self) -> None:
        """Stop the broker abruptly, as a crash would (for fault tests)."""
        self.address_file.unlink(missing_ok=True)
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        marker = b"Kafka Server started"
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BrokerError(
                    f"embedded Kafka exited with {self._process.returncode}; "
                    f"see {self.log_file}"
                )
            with open(self.log_file, "rb") as log:
                log.seek(max(0, offset - len(marker)))
                if marker in log.read():
                    return
            time.sleep(0.1)
        self.stop()
        raise BrokerError(f"embedded Kafka did not start in {self.start_timeout:.0f} s")

    def _write_config(self, controller_port: int) -> Path:
        log_dir = self.data_dir / "log"
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{controller_port}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},"
            f"CONTROLLER://{self.host}:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(log_dir),
            "num.partitions": "1",
            # Topics are declared with their partition counts before agents start; a
            # topic created by a client merely asking about it would get the wrong count.
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "4",
            "group.initial.rebalance.delay.ms": "0",
            "log.retention.hours": "-1",
            "log.segment.bytes": str(64 * 1024 * 1024),
            "message.max.bytes": str(2 * 1024 * 1024),
            "delete.topic.enable": "true",
            # The cleaner looks for compactable segments every second (15 s by default),
            # so a deleted data key leaves the keys topic soon after forget_within_ms.
            "log.cleaner.backoff.ms": "1000",
            # ...and the files a compaction replaced go from the disk a second later
            # (a minute by default), not only from what clients can read.
            "log.segment.delete.delay.ms": "1000",
        }
        path = self.data_dir / "server.properties"
        path.write_text("".join(f"{key}={value}\n" for key, value in lines.items()))
        return path

    def _write_log4j(self) -> Path:
        path = self.data_dir / "log4j.properties"
        path.write_text(
            "log4j.rootLogger=WARN, stdout\n"
            "log4j.logger.kafka.server.KafkaServer=INFO\n"
            "log4j.logger.kafka.server.KafkaRaftServer=INFO\n"
            "log4j.logger.kafka.server.BrokerServer=INFO\n"
            "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
            "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
        )
        return path

    def _format_storage(self, classpath: str, config: Path) -> None:
        if (self.data_dir / "log" / "meta.properties").exists():
            return
        cluster_id_file = self.data_dir / "cluster.id"
        if not cluster_id_file.exists():
            cluster_id_file.write_text(new_cluster_id())
        cluster_id = cluster_id_file.read_text().strip()
        result = subprocess.run(
            [
                "java",
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(config),
                "--ignore-formatted",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BrokerError(f"formatting the Kafka log failed: {result.stdout}{result.stderr}")
