"""What tracing costs the executor's cold import: off (anywhere but Lambda, or
``POWERTOOLS_TRACE_DISABLED``), on (``LAMBDA_TASK_ROOT`` set: the handler's factory builds
Powertools' Tracer, which imports aws_xray_sdk and patches botocore), and the same import from
the tree just before tracing was added (``git archive`` of the parent of the commit that added
``stepstream/_tracing.py``), all in one run.

Each sample imports ``functions/executor.py`` (which builds its handler) in a fresh
``python -X importtime`` process; the variants are interleaved, so load on a shared machine hits
all of them alike. The figure is the sum of every module's own import time, as ``-X importtime``
reports it, so interpreter start-up is left out; the modules loaded are counted too. The first
import of each variant compiles bytecode and is not a sample.

Run: ``python -m bench.tracing [--rounds N]`` (default 1,000 samples per variant; ``make bench``).
Writes bench/results/tracing.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._support import run_importing
from bench.readme import ReadmeRow, times

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "tracing.json"
ROUNDS = 1000
TARGET_OFF_RATIO = 1.05
_LIBRARY = Path("layers/stepstream/stepstream")
_ADDED_WITH_TRACING = _LIBRARY / "_tracing.py"
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")
_CODE = (
    "import sys, executor\n"
    "print(len(sys.modules), sum(m.split('.')[0] == 'aws_xray_sdk' for m in sys.modules))"
)


def _before_tree(into: Path) -> tuple[Path, str] | None:
    """The library and functions/ as they were before tracing was added, or None outside git."""

    def git(*args: str) -> bytes:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=True).stdout

    try:
        added = git("log", "--diff-filter=A", "--format=%H", "--", str(_ADDED_WITH_TRACING))
        commits = added.decode().split()
        if not commits:
            return None
        before = f"{commits[-1]}^"
        archive = git("archive", "--format=tar", before, str(_LIBRARY), "functions")
        name = git("rev-parse", "--short", before).decode().strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into, name


def _environment(tree: Path, *, on_lambda: bool) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(tree / _LIBRARY.parent), str(tree / "functions")]),
        "PYTHONNOUSERSITE": "1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        # Importing must not touch AWS; anything that tries fails fast here.
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    if on_lambda:
        env["LAMBDA_TASK_ROOT"] = str(tree / "functions")
    return env


def _import_once(env: dict[str, str]) -> tuple[int, int, int, int]:
    """(summed self import time in us, process CPU time in us, modules loaded, aws_xray_sdk
    modules loaded)."""
    stderr, stdout, cpu_us = run_importing(
        [sys.executable, "-X", "importtime", "-c", _CODE], ROOT, env
    )
    total = sum(int(m.group(1)) for m in map(_LINE.match, stderr.splitlines()) if m)
    modules, xray = (int(n) for n in stdout.split())
    return total, cpu_us, modules, xray


def _percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


def run(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-tracing-") as tmp:
        variants = {
            "off": _environment(ROOT, on_lambda=False),
            "on": _environment(ROOT, on_lambda=True),
        }
        before = _before_tree(Path(tmp))
        if before is not None:
            variants["before"] = _environment(before[0], on_lambda=False)
        counts: dict[str, tuple[int, int]] = {}
        for name, env in variants.items():  # compiles bytecode: not a sample
            _, _, modules, xray = _import_once(env)
            counts[name] = (modules, xray)
        samples: dict[str, list[int]] = {name: [] for name in variants}
        cpu: dict[str, list[int]] = {name: [] for name in variants}
        for _ in range(rounds):
            for name, env in variants.items():
                wall_us, cpu_us, _, _ = _import_once(env)
                samples[name].append(wall_us)
                cpu[name].append(cpu_us)

    def figures(name: str) -> dict[str, Any]:
        values = samples[name]
        return {
            "import_ms_median": round(statistics.median(values) / 1000, 2),
            "import_ms_p99": round(_percentile(values, 0.99) / 1000, 2),
            "process_cpu_ms_median": round(statistics.median(cpu[name]) / 1000, 2),
            "modules": counts[name][0],
            "aws_xray_sdk_modules": counts[name][1],
        }

    report: dict[str, Any] = {
        "bench": "tracing",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "samples_per_variant": rounds,
        "variants": {name: figures(name) for name in variants},
    }
    off = statistics.median(samples["off"])
    off_cpu = statistics.median(cpu["off"])
    report["on_vs_off_median"] = round(statistics.median(samples["on"]) / off, 3)
    report["on_vs_off_cpu_median"] = round(statistics.median(cpu["on"]) / off_cpu, 3)
    if before is not None:
        report["before_commit"] = before[1]
        report["off_vs_before_median"] = round(off / statistics.median(samples["before"]), 3)
        report["off_vs_before_cpu_median"] = round(off_cpu / statistics.median(cpu["before"]), 3)
        report["target_off_vs_before"] = TARGET_OFF_RATIO
    return report


def readme_rows(report: dict[str, Any]) -> list[ReadmeRow]:
    variants = report["variants"]
    samples = f"{report['samples_per_variant']:,} samples each"
    rows = []
    if "off_vs_before_median" in report:
        extra = variants["off"]["modules"] - variants["before"]["modules"]
        rows.append(
            ReadmeRow(
                "executor import with tracing off vs before tracing existed (medians)",
                f"{times(report['off_vs_before_median'])} summed import time, "
                f"{times(report['off_vs_before_cpu_median'])} process CPU ({samples}); "
                f"{extra} more modules, {variants['off']['aws_xray_sdk_modules']} of aws_xray_sdk",
                f"≤ {times(report['target_off_vs_before'])}",
            )
        )
    rows.append(
        ReadmeRow(
            "executor import with tracing on (Lambda) vs off (medians)",
            f"{times(report['on_vs_off_median'])} summed import time, "
            f"{times(report['on_vs_off_cpu_median'])} process CPU ({samples}); "
            f"{variants['on']['aws_xray_sdk_modules']} aws_xray_sdk modules",
        )
    )
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tracing", description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="samples per variant")
    args = parser.parse_args(argv)
    report = run(args.rounds)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
