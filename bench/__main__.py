"""Run every benchmark module in ``bench/`` and print a summary table.

Each module runs as ``python -m bench.<name>`` in its own process, so one benchmark's servers,
threads and environment cannot skew another's, and a failing one does not stop the rest. Each
prints its own table and writes ``bench/results/<name>.json``. ``python -m bench engine`` runs
only the named ones. Afterwards ``bench.readme`` (not a benchmark) regenerates the README's
tables from the results.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"readme"}


def modules(selected: list[str]) -> list[str]:
    names = sorted(
        p.stem
        for p in BENCH.glob("*.py")
        if not p.stem.startswith("_") and p.stem not in NOT_BENCHMARKS
    )
    return [n for n in names if not selected or n in selected]


def main(argv: list[str]) -> int:
    rows: list[tuple[str, int, float, Path]] = []
    for name in modules(argv):
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=BENCH.parent)
        result = BENCH / "results" / f"{name}.json"
        rows.append((name, code, time.monotonic() - started, result.relative_to(BENCH.parent)))
    print(f"\n{'benchmark':<14}{'exit':>6}{'seconds':>10}  result")
    for name, code, seconds, result in rows:
        print(f"{name:<14}{code:>6}{seconds:>10.1f}  {result}")
    readme = subprocess.call([sys.executable, "-m", "bench.readme"], cwd=BENCH.parent)
    return 1 if readme or any(code for _, code, _, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
