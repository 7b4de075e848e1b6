"""`python -m bench [--quick]`: run the benchmarks, print a table, write BENCHMARKS.md."""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from importlib.metadata import version
from pathlib import Path

from bench import inference, reads


def _machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("faust-streaming", "rocksdict", "strawberry-graphql", "orjson")
    )
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {packages}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the benchmarks run")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args()
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    sections.append(("Inference: the pure schema fold against genson, same events", inference.main(args.quick)))
    with tempfile.TemporaryDirectory(prefix="tracklog-bench-") as directory:
        sections.append(("Reads: profile and timeline over RocksDB (GraphQL execute)", reads.main(Path(directory), args.quick)))
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
        args.out.write_text(text)


if __name__ == "__main__":
    main()
