"""`make bench QUICK=1` runs: the benchmarks work (their numbers are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_quick_benchmark_runs_and_prints_its_table(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert "| ratio (target ≥ 5×) |" in result.stdout
    assert "timeline(first: 50), heavy user, deep page | p50" in result.stdout
    assert not out.exists(), "a quick run must not overwrite the committed BENCHMARKS.md"
