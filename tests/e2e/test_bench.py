"""`make bench QUICK=1` runs: the benchmarks work (their numbers are not asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

NUMBER = r"[\d,]+(?:\.\d+)?"
LATENCY = rf"p50 {NUMBER} ms, p99 {NUMBER} ms"


def _section(stdout: str, title: str) -> str:
    """The table under the heading that starts with ``title``."""
    match = re.search(rf"^## {re.escape(title)}.*?(?=^## |\Z)", stdout, re.M | re.S)
    assert match, f"no section {title!r} in:\n{stdout}"
    return match.group(0)


def _row(section: str, what: str, result: str) -> None:
    assert re.search(rf"^\| {re.escape(what)}[^|]* \| {result}", section, re.M), (
        f"no row {what!r} with {result!r} in:\n{section}"
    )


# A node start takes seconds: the quick run starts several (and a broker) on two cores.
@pytest.mark.timeout(420)
def test_the_quick_benchmark_runs_and_prints_its_table(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=400,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    stdout = result.stdout
    inference = _section(stdout, "Inference:")
    _row(inference, "Tracklog fold as the node runs it", rf"{NUMBER} events/s")
    _row(inference, "genson SchemaBuilder", rf"{NUMBER} events/s")
    _row(inference, "ratio, as the node folds", rf"{NUMBER}×")
    assert "timeline(first: 50), heavy user, deep page | p50" in stdout

    codecs = _section(stdout, "Codecs:")
    _row(codecs, "column state (schema-columns)", rf"decode: hand-written {NUMBER} µs, msgspec {NUMBER} µs")

    end_to_end = _section(stdout, "End to end:")
    _row(end_to_end, "Tracklog node: 2,000 events", rf"{NUMBER} events/s")
    _row(end_to_end, "Tracklog node: end to end", rf"{NUMBER} events/s")
    _row(end_to_end, "eventSchema every 20 ms", LATENCY)
    _row(end_to_end, "baseline: the raw producer", rf"{NUMBER} events/s")

    ingest = _section(stdout, "Ingest:")
    _row(ingest, "Tracklog node, /v1/batch", rf"{NUMBER} events/s \(2,000 in")
    _row(ingest, "aiokafka producer", rf"{NUMBER} events/s")
    _row(ingest, "ratio, best against best", rf"{NUMBER}×")
    _row(ingest, "ratio of each pair", rf"{NUMBER}×")

    reads = _section(stdout, "Reads over HTTP:")
    for query in ("eventSchema", "profile", "timeline(first: 50)"):
        for phase in ("idle", "during the import"):
            _row(reads, f"{query}, {phase}", LATENCY)
    _row(reads, "the import:", rf"{NUMBER} s from its start to every agent drained")
    stalls = rf"{NUMBER} wake-ups over 50 ms late, {NUMBER} over 100 ms \(of {NUMBER}\); {NUMBER} full collections"
    _row(reads, "the node's loop meanwhile", stalls)

    pages = _section(stdout, "Pages over HTTP:")
    _row(pages, "first read of /changes", rf"{NUMBER} ms")
    for page in ("/ (sources)", "/schemas", "/schema (", "/schema with a diff", "/column", "/changes (", "/profiles"):
        _row(pages, f"{page}", LATENCY)
    assert pages.count(" ms, p99 ") == 14  # each page idle and during the import
    _row(pages, "the node's loop meanwhile", stalls)
    assert pages.count("the node's loop meanwhile") == 2  # idle and during the import

    pipeline = _section(stdout, "Pipeline:")
    _row(pipeline, "Tracklog node, 2,000 events", rf"{NUMBER} events/s")
    _row(pipeline, "Faust no-op agent", rf"{NUMBER} events/s")
    _row(pipeline, "ratio, best against best", rf"{NUMBER}×")
    _row(pipeline, "ratio of each pair", rf"{NUMBER}×")

    scale = _section(stdout, "Scale:")
    for size in ("1,000", "2,000"):
        _row(scale, f"{size} events", rf"{NUMBER} µs/event \({NUMBER} events/s\), peak RSS {NUMBER} MiB")
    _row(scale, "per-event cost flat within 20 %?", "(flat|NOT flat): ")
    forgetting = _section(stdout, "Forgetting:")
    for people in ("known", "new"):
        _row(forgetting, f"plain, {people} people", rf"{NUMBER} \(")
        _row(forgetting, f"private, {people} people", rf"{NUMBER} \(")
        _row(forgetting, f"private / plain, {people} people", rf"{NUMBER}×")
        _row(forgetting, f"the edge's CPU an event, {people} people", rf"{NUMBER} → {NUMBER} µs \({NUMBER}×\)")
    _row(forgetting, "private, known people: sealed, 1,000 suppressions in force", rf"{NUMBER} \(")
    deletion = _section(stdout, "Deletion:")
    _row(deletion, "createRegulation → the folds have forgotten them", rf"{NUMBER} s")
    _row(deletion, "createRegulation → FINISHED", rf"{NUMBER} s")
    judged = _section(stdout, "Plans:")
    _row(judged, "no plan, 2,000 events", rf"{NUMBER} events/s")
    _row(judged, "a 50-rule plan in QUARANTINE mode", rf"{NUMBER} events/s")
    _row(judged, "planned / no plan, best against best", rf"{NUMBER}× — (met|NOT met)")
    forwarded = _section(stdout, "Forwarded reads:")
    _row(forwarded, "eventSchema (20 columns), held by the node asked", LATENCY)
    _row(forwarded, "the same, forwarded to the node that holds it", LATENCY)
    _row(forwarded, "goal: forwarded p99 ≤ 2 × local p99 + 2 ms", rf"{NUMBER} ≤ {NUMBER} ms: (met|NOT met)")
    assert not out.exists(), "a quick run must not overwrite the committed BENCHMARKS.md"
