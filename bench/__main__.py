"""`python -m bench [--quick]`: run the benchmarks, print a table, write BENCHMARKS.md.

The in-process benchmarks (inference, reads over RocksDB) run first; then one embedded
Kafka serves the benchmarks that run real nodes (`endtoend`: HTTP 200 to counted, against
the raw producer and a no-op agent; `serving`: ingest, then reads over
HTTP at idle and during an import, on one node; `web`: the analyst's pages, the same way;
`pipeline`: the pipeline and scale; `plans`: what judging by a tracking plan costs it; `forget`: what sealing and suppressions cost the
edge, and how long a deletion takes; `forwarding`: a read forwarded to the node that holds it, against
one answered where it is held), each on topics of its own.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from bench import codecs, endtoend, forget, forwarding, inference, pipeline, plans, reads, serving, web
from bench.harness import Section, running_broker

logger = logging.getLogger("bench")


def _machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("faust-streaming", "rocksdict", "strawberry-graphql", "orjson")
    )
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {packages}"
    )


def _timed(title: str, benchmark: Callable[[], list[Section]]) -> list[Section]:
    logger.info("running: %s", title)
    started = time.monotonic()
    sections = benchmark()
    logger.info("done in %.0f s: %s", time.monotonic() - started, title)
    return sections


NOTES = "## Notes"


def _notes(out: Path) -> str:
    """The hand-written notes of ``out`` (from its "## Notes" heading on), kept across runs."""
    try:
        existing = out.read_text()
    except FileNotFoundError:
        return ""
    start = existing.find(NOTES)
    return "\n" + existing[start:] if start >= 0 else ""


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the benchmarks run")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    logger.setLevel(logging.INFO)
    quick: bool = args.quick
    sections: list[Section] = []
    title = "Inference: the pure schema fold against genson, same events"
    sections += _timed(title, lambda: [(title, inference.main(quick))])
    title = "Codecs: the table rows' hand-written codecs against msgspec, same bytes (CPU µs a row)"
    sections += _timed(title, lambda: [(title, codecs.main(quick))])
    with tempfile.TemporaryDirectory(prefix="tracklog-bench-") as directory:
        title = "Reads: profile and timeline over RocksDB (GraphQL execute)"
        sections += _timed(title, lambda: [(title, reads.main(Path(directory), quick))])
    # One broker for every benchmark that runs a node; each uses topics of its own.
    with tempfile.TemporaryDirectory(prefix="tracklog-bench-") as directory:
        with running_broker(Path(directory)) as broker:
            sections += _timed("end to end", lambda: endtoend.main(broker, Path(directory), quick))
            sections += _timed("ingest, then reads over HTTP", lambda: serving.main(broker, Path(directory), quick))
            sections += _timed("the analyst's pages over HTTP", lambda: web.main(broker, Path(directory), quick))
            sections += _timed("pipeline and scale", lambda: pipeline.main(broker, Path(directory), quick))
            sections += _timed("forgetting", lambda: forget.main(broker, Path(directory), quick))
            sections += _timed("tracking plans", lambda: plans.main(broker, Path(directory), quick))
            sections += _timed("forwarded reads", lambda: forwarding.main(broker, Path(directory), quick))
    lines = ["# Benchmarks", "", f"Machine: {_machine()}.", ""]
    if args.quick:
        lines += ["QUICK run: small sizes, only to check the benchmarks run.", ""]
    for title, rows in sections:
        lines += [f"## {title}", "", "| what | result |", "| --- | --- |"]
        lines += [f"| {what} | {result} |" for what, result in rows]
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        args.out.write_text(text + _notes(args.out))


if __name__ == "__main__":
    main()
