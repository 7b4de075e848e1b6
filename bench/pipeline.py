"""Events through every agent of one node: against a Faust no-op agent, and at growing sizes.

For each size, a fresh node on a fresh topic prefix: the generated load (about 20
events per user, so users grow with the size) is put on its events topic first (the
importer's path), so nothing competes with the node for the cores. The node is then
started and measured from its ``/metrics``: from the first read that saw events routed
to the first that saw route-events, fold-schemas and fold-identities all drained. Its
peak RSS (VmHWM) is read once it has drained.

**Pipeline.** ``PIPELINE_RUNS`` pairs at ``PIPELINE_SIZE``, one after the other: the
same events, on fresh topics, through ``bench.noop_agent`` in a subprocess (a Faust app
with the node's settings and batching and a consumer group of its own, whose agent only
counts) over a log of one record per event (``baseline_topic``: what a stock Faust
design writes, and this node wrote before its records held a request's events per
partition), then through the node over its own log. Both intervals start after the first
batch seen, so worker start-up counts on neither side. The machine is shared and its speed drifts (a pair's ratio
varied from 0.43 to 0.56 on the same code), so each side's best run counts, as for
inference; every pair's ratio is printed too.

**Scale.** Per-event cost (the measured interval over the events in it) and peak RSS at
each size. The sizes below the largest run ``SCALE_RUNS`` times and their best run
counts (the largest, minutes long, runs once: so the comparison errs against
flatness). Sizes run smallest first within a time budget: a size whose run would not
fit in what is left of it (projected from the previous size's wall time per event:
generating, loading, starting and folding) is not run, and the table says so.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import orjson

from bench.harness import (
    PARTITIONS,
    Drain,
    NodeRun,
    Section,
    fresh_prefix,
    preload,
    preload_one_per_message,
    run_until_drained,
    users,
    write_load,
)
from streams.ops.broker import EmbeddedBroker

logger = logging.getLogger(__name__)

SEED = 9
PIPELINE_SIZE = 30_000
PIPELINE_RUNS = 3
# The smallest size's drain is ~2.5 s, and ran 171-278 µs/event within the hour as the
# broker's state changed: the sizes below the largest run three times.
SCALE_RUNS = 3
FLAT = 0.20  # the target: per-event cost within 20 % across sizes


def baseline_topic(prefix: str) -> str:
    """The topic of ``prefix``'s events one record per event, for the no-op agent."""
    return f"{prefix}.events-one-per-message"


async def noop_baseline(
    broker: EmbeddedBroker, directory: Path, prefix: str, total: int, *, timeout: float
) -> Drain:
    """Run the no-op Faust agent over ``baseline_topic(prefix)`` until it saw ``total``."""
    out = directory / f"{prefix}-noop.json"
    log = directory / f"{prefix}-noop.log"
    command = [
        sys.executable,
        "-m",
        "bench.noop_agent",
        "--broker",
        broker.url,
        "--topic",
        baseline_topic(prefix),
        "--app-id",
        f"{prefix}-noop",
        "--partitions",
        str(PARTITIONS),
        "--events",
        str(total),
        "--out",
        str(out),
    ]
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent
        )
    try:
        deadline = time.monotonic() + timeout
        while not out.exists():
            if process.poll() is not None:
                raise RuntimeError(f"the no-op agent exited with {process.returncode}: see {log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the no-op agent did not see {total:,} events in {timeout:.0f} s")
            await asyncio.sleep(0.05)
        result = orjson.loads(out.read_bytes())
        if "error" in result:
            raise RuntimeError(f"the no-op agent: {result['error']}")
        return Drain(int(result["events"]), float(result["seconds"]))
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _run_size(
    broker: EmbeddedBroker, directory: Path, size: int, *, baseline: bool, timeout: float
) -> tuple[NodeRun, Drain | None]:
    """A fresh node over ``size`` preloaded events, after the no-op agent if ``baseline``."""
    prefix = fresh_prefix(f"pipeline{size}")
    load = write_load(directory / f"{prefix}.jsonl", seed=SEED, events=size)
    try:
        await preload(broker, prefix, load)
        noop = None
        if baseline:
            await preload_one_per_message(broker, baseline_topic(prefix), load)
            noop = await noop_baseline(broker, directory, prefix, size, timeout=timeout)
        return await run_until_drained(broker, directory, prefix, size, timeout=timeout), noop
    finally:
        load.unlink(missing_ok=True)
        shutil.rmtree(directory / prefix, ignore_errors=True)


def _pipeline_rows(size: int, pairs: list[tuple[Drain, Drain]]) -> list[tuple[str, str]]:
    ours = max((o for o, _ in pairs), key=lambda d: d.rate)
    noop = max((n for _, n in pairs), key=lambda d: d.rate)

    def runs(drains: list[Drain]) -> str:
        return ", ".join(f"{d.rate:,.0f}" for d in drains)

    return [
        (
            f"Tracklog node, {size:,} events through route-events, fold-schemas, fold-identities"
            f" (best of {len(pairs)})",
            f"{ours.rate:,.0f} events/s ({ours.events:,} in {ours.seconds:.2f} s; target ≥ 10,000/s;"
            f" runs: {runs([o for o, _ in pairs])})",
        ),
        (
            "Faust no-op agent (same settings and batching), the same events one record each"
            f" (a stock Faust design's log), own consumer group (best of {len(pairs)})",
            f"{noop.rate:,.0f} events/s ({noop.events:,} in {noop.seconds:.2f} s; runs: {runs([n for _, n in pairs])})",
        ),
        ("ratio, best against best (target ≥ 1.5×)", f"{ours.rate / noop.rate:.2f}×"),
        ("ratio of each pair, in the order run", ", ".join(f"{o.rate / n.rate:.2f}×" for o, n in pairs)),
    ]


def _scale_summary(runs: dict[int, NodeRun]) -> list[tuple[str, str]]:
    if len(runs) < 2:
        return [("per-event cost flat within 20 %?", "only one size ran")]
    costs = {size: run.drain.us_per_event for size, run in runs.items()}
    low, high = min(runs), max(runs)
    spread = max(costs.values()) / min(costs.values()) - 1
    verdict = "flat" if spread <= FLAT else "NOT flat"
    return [
        (
            "per-event cost flat within 20 %?",
            f"{verdict}: {costs[high] / costs[low] - 1:+.0%} from {low:,} to {high:,} events; "
            f"largest spread between sizes {spread:.0%}",
        ),
        (
            "peak RSS, smallest to largest size",
            f"{runs[low].peak_rss_mib:,.0f} → {runs[high].peak_rss_mib:,.0f} MiB "
            f"for {users(low):,} → {users(high):,} users",
        ),
    ]


async def run(broker: EmbeddedBroker, directory: Path, *, quick: bool) -> list[Section]:
    sizes, budget = ([1_000, 2_000], 300.0) if quick else ([10_000, 100_000, 1_000_000], 1_080.0)
    pipeline_size, pipeline_runs = (2_000, 1) if quick else (PIPELINE_SIZE, PIPELINE_RUNS)
    scale_runs = 1 if quick else SCALE_RUNS
    pairs: list[tuple[Drain, Drain]] = []
    for _ in range(pipeline_runs):
        run, noop = await _run_size(broker, directory, pipeline_size, baseline=True, timeout=600.0)
        assert noop is not None
        pairs.append((run.drain, noop))
    started = time.monotonic()
    runs: dict[int, NodeRun] = {}
    scale: list[tuple[str, str]] = []
    seconds_per_event: float | None = None
    for size in sizes:
        left = budget - (time.monotonic() - started)
        projected = size * seconds_per_event if seconds_per_event is not None else 0.0
        if projected > left:
            logger.warning("not running %d events: ~%.0f s projected, %.0f s left", size, projected, left)
            scale.append(
                (
                    f"{size:,} events ({users(size):,} users)",
                    f"NOT RUN: ~{projected:,.0f} s projected at the previous size's cost, "
                    f"{max(left, 0):,.0f} s left of the {budget:,.0f} s budget",
                )
            )
            continue
        size_runs: list[NodeRun] = []
        for _ in range(1 if size == sizes[-1] else scale_runs):
            size_started = time.monotonic()
            size_runs.append(
                (
                    await _run_size(
                        broker, directory, size, baseline=False, timeout=max(2 * left, 2 * projected, 120.0)
                    )
                )[0]
            )
            seconds_per_event = (time.monotonic() - size_started) / size
        run = runs[size] = min(size_runs, key=lambda r: r.drain.us_per_event)
        each = f"; runs: {', '.join(f'{r.drain.us_per_event:,.0f}' for r in size_runs)} µs/event" if len(size_runs) > 1 else ""
        scale.append(
            (
                f"{size:,} events ({users(size):,} users)" + (f", best of {len(size_runs)}" if len(size_runs) > 1 else ""),
                f"{run.drain.us_per_event:,.0f} µs/event ({run.drain.rate:,.0f} events/s), "
                f"peak RSS {run.peak_rss_mib:,.0f} MiB{each}",
            )
        )
    return [
        (
            "Pipeline: events/s through every agent of one node against a Faust no-op agent, same topic",
            _pipeline_rows(pipeline_size, pairs),
        ),
        ("Scale: per-event cost and peak RSS of one node at growing sizes", scale + _scale_summary(runs)),
    ]


def main(broker: EmbeddedBroker, directory: Path, quick: bool) -> list[Section]:
    return asyncio.run(run(broker, directory, quick=quick))
