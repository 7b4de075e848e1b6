"""``python -m bench.against REF``: this checkout against another commit, in one run.

A refactoring promises no regression; on a shared machine whose speed drifts by a third
within minutes, only pairs run back to back say so. This checks ``REF`` out into a
worktree with a virtualenv of its own (once; later runs reuse it), starts one embedded
Kafka, and runs interleaved pairs (ABBA) of the same two measurements with the
``tracklog node`` of each checkout:

- the pipeline: a node started on ``SIZE`` preloaded events, until every agent drained
  them (``bench.harness.run_until_drained``, as ``make bench``'s pipeline row);
- ingest: the same calls posted to ``/v1/batch`` (``bench.serving.over_http``), acked.

It prints a table of every pair and the ratio of the medians. Each checkout's load is
put on its topic by its own ``tracklog import``, so a commit that changed the events
log's format is measured on a log it can read.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bench.harness import (
    SOURCE,
    fresh_prefix,
    node_env,
    preload,
    read_calls,
    run_until_drained,
    running_broker,
    running_node,
    wait_drained,
    write_load,
)
from bench.serving import over_http
from streams.ops.broker import EmbeddedBroker

logger = logging.getLogger("bench.against")

ROOT = Path(__file__).resolve().parent.parent
SIZE = 30_000
INGESTED = 20_000


def checkout(ref: str) -> str:
    """The ``tracklog`` executable of ``ref``, checked out and installed once."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = Path(tempfile.gettempdir()) / f"tracklog-{sha}"
    executable = tree / ".venv" / "bin" / "tracklog"
    if not executable.exists():
        logger.info("checking out %s into %s", sha, tree)
        if not tree.exists():
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=ROOT, check=True)
        subprocess.run([sys.executable, "-m", "venv", str(tree / ".venv")], check=True)
        subprocess.run([str(tree / ".venv" / "bin" / "pip"), "install", "-q", "-e", str(tree)], check=True)
    return str(executable)


async def pipeline(broker: EmbeddedBroker, directory: Path, executable: str | None, name: str) -> float:
    prefix = fresh_prefix(f"against-{name}")
    load = write_load(directory / f"{prefix}.jsonl", seed=9, events=SIZE)
    if executable is None:
        await preload(broker, prefix, load)
    else:  # the other checkout writes the log as it reads it
        env = {**os.environ, **node_env(broker, prefix)}
        command = [executable, "import", str(load), "--source", SOURCE, "--batch", "1000"]
        await asyncio.to_thread(subprocess.run, command, env=env, check=True, capture_output=True)
    run = await run_until_drained(broker, directory, prefix, SIZE, timeout=600, executable=executable)
    return run.drain.rate


async def ingest(broker: EmbeddedBroker, directory: Path, executable: str | None, name: str) -> float:
    prefix = fresh_prefix(f"against-ingest-{name}")
    calls = read_calls(write_load(directory / f"{prefix}.jsonl", seed=7, events=INGESTED))
    with running_node(broker, directory, prefix, executable) as node:
        sent = await over_http(node, calls)
        await wait_drained(node, broker, prefix, sent.acked, since=time.monotonic(), timeout=600)
    return sent.rate


Measure = Callable[[EmbeddedBroker, Path, str | None, str], Coroutine[Any, Any, float]]


async def pairs(broker: EmbeddedBroker, directory: Path, baseline: str, runs: int, measure: Measure) -> list[tuple[float, float]]:
    """``runs`` pairs of (this checkout, the baseline), in ABBA order."""
    found: list[tuple[float, float]] = []
    for n in range(runs):
        if n % 2 == 0:
            ours = await measure(broker, directory, None, f"ours{n}")
            theirs = await measure(broker, directory, baseline, f"base{n}")
        else:
            theirs = await measure(broker, directory, baseline, f"base{n}")
            ours = await measure(broker, directory, None, f"ours{n}")
        logger.info("pair %d: %.0f against %.0f events/s", n, ours, theirs)
        found.append((ours, theirs))
    return found


def table(ref: str, results: dict[str, list[tuple[float, float]]]) -> str:
    lines = [f"| measure (events/s) | this checkout | {ref} | ratio of medians | pairs |", "| --- | --- | --- | --- | --- |"]
    for name, found in results.items():
        ours = statistics.median(o for o, _ in found)
        theirs = statistics.median(t for _, t in found)
        runs = ", ".join(f"{o:,.0f}/{t:,.0f}" for o, t in found)
        lines.append(f"| {name} | {ours:,.0f} | {theirs:,.0f} | {ours / theirs:.2f}× | {runs} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.against")
    parser.add_argument("ref", help="the commit to compare with (e.g. HEAD~3)")
    parser.add_argument("--runs", type=int, default=4, help="pairs of each measurement")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    logger.setLevel(logging.INFO)
    baseline = checkout(args.ref)
    with tempfile.TemporaryDirectory(prefix="tracklog-against-") as directory:
        with running_broker(Path(directory)) as broker:
            results = {
                f"pipeline, {SIZE:,} preloaded events through every agent": asyncio.run(
                    pairs(broker, Path(directory), baseline, args.runs, pipeline)
                ),
                f"ingest, {INGESTED:,} events over /v1/batch, acked": asyncio.run(
                    pairs(broker, Path(directory), baseline, args.runs, ingest)
                ),
            }
    print(table(args.ref, results))


if __name__ == "__main__":
    main()
