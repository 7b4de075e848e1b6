"""`tracklog generate` and `tracklog import` as a user runs them, into a running node."""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path

import orjson

from streams.ops.broker import EmbeddedBroker
from tests.integration.conftest import StartNode
from tests.nodes import TRACKLOG, fresh_prefix
from tests.topics import events_on, keys_on
from tests.waiting import wait_until


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TRACKLOG, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def test_generated_traffic_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    for path in (first, second):
        assert _run("generate", str(path), "--seed", "7", "--users", "20", "--events", "300", env={}).returncode == 0
    assert gzip.decompress(first.read_bytes()) == gzip.decompress(second.read_bytes())
    calls = [orjson.loads(line) for line in gzip.decompress(first.read_bytes()).splitlines()]
    assert len(calls) == 300
    assert {"track", "page", "identify"} <= {c["type"] for c in calls}


def test_import_backfills_through_the_log_and_names_bad_lines(
    start_node: StartNode, tmp_path: Path
) -> None:
    node = start_node()
    generated = tmp_path / "load.jsonl.gz"
    assert _run("generate", str(generated), "--users", "20", "--events", "500", env={}).returncode == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"type": "track", "userId": "u", "event": "Fine"}\n{oops\n')

    result = _run("import", str(generated), str(bad), "--source", "backfill", "--batch", "100", env=node.env)
    assert result.returncode == 1, result.stderr  # one line was skipped
    assert f"{bad}:2: body: invalid JSON" in result.stderr
    assert "imported 501 events; skipped 1 bad lines" in result.stderr

    def counted() -> bool:
        sources = node.graphql("{ sources { name eventCount } }")["sources"]
        return sources == [{"name": "backfill", "eventCount": 501}]

    wait_until(counted, timeout=60, what="every imported event to be folded")


async def test_import_onto_a_broker_no_node_has_used_creates_the_topics(
    kafka: EmbeddedBroker, tmp_path: Path
) -> None:
    generated = tmp_path / "load.jsonl"
    assert _run("generate", str(generated), "--users", "5", "--events", "40", env={}).returncode == 0
    prefix = fresh_prefix()
    env = {"TRACKLOG_BROKER": kafka.url, "TRACKLOG_TOPIC_PREFIX": prefix, "TRACKLOG_PARTITIONS": "3"}

    result = _run("import", str(generated), env=env)

    assert result.returncode == 0, result.stderr
    keys = await keys_on(kafka.bootstrap, f"{prefix}.keys")  # the importer made them
    logged = await events_on(kafka.bootstrap, f"{prefix}.events", 40, keys)
    assert len(logged) == 40
    assert {record.partition for record, _ in logged} <= {0, 1, 2}
