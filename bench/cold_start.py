"""Cold start: how long each built handler takes to import, against ``import boto3`` measured in
the same run, and how big the built layer is.

Both come from real ``sam build`` output. Import times use an x86_64 build for this machine's
Python (arm64 wheels cannot load here) and run each import in a fresh ``python -S -P -X
importtime`` process whose sys.path holds only the function's build dir, the built layer and
boto3 with its dependencies (what the Lambda runtime adds), so nothing from the dev venv leaks in.
The total is the sum of every module's own import time. One warm-up import per module writes
bytecode first, because a deployed layer should ship it (see layers/stepstream/Makefile); the
cost without it is reported too. The layer size is the arm64 build that ``sam deploy`` ships.

Run: ``python -m bench.cold_start`` (or ``make bench``). Writes bench/results/cold_start.json.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._support import run_importing

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "cold_start.json"
BIN = Path(sys.executable).parent
ROUNDS = 7
TARGET_EXECUTOR_RATIO = 3.0
LAMBDA_LAYER_LIMIT = 250 * 1024 * 1024
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "urllib3", "jmespath", "dateutil", "six")
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def _build(name: str, **layer_env: str) -> tuple[Path, float]:
    build_dir = ROOT / ".aws-sam" / name
    shutil.rmtree(build_dir, ignore_errors=True)
    env = dict(os.environ)
    env.update(
        SAM_CLI_TELEMETRY="0",
        AWS_DEFAULT_REGION=env.get("AWS_DEFAULT_REGION", "us-east-1"),
        PIP_CACHE_DIR=str(ROOT / ".aws-sam" / "pip-cache"),
        PIP=f"{sys.executable} -m pip",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        **layer_env,
    )
    command = [str(BIN / "sam"), "build", "--build-dir", str(build_dir)]
    command.append("--no-cached")  # SAM's cache is keyed on the sources, not on LAYER_ARCH
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    return build_dir, time.perf_counter() - started


def _handlers() -> dict[str, str]:
    """Logical id -> handler module, from template.yaml."""
    sys.path.insert(0, str(ROOT / "layers" / "stepstream"))
    from stepstream.local import load_template

    resources = load_template(ROOT / "template.yaml")["Resources"]
    return {
        logical_id: _module(resource["Properties"]["Handler"])
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def _module(handler: str) -> str:
    """The module a cold start imports: the handler's, or for the streaming function's script
    (run by the Lambda Web Adapter) the app module it serves."""
    if handler.endswith(".sh"):
        script = (ROOT / "functions" / handler).read_text(encoding="utf-8")
        return script.split("uvicorn ", 1)[1].split(":", 1)[0]
    return handler.split(".")[0]


def _runtime_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="lambda-runtime-"))
    for name in RUNTIME_PACKAGES:
        source = Path(__import__(name).__file__ or "")
        source = source.parent if source.name == "__init__.py" else source
        (root / source.name).symlink_to(source)
    return root


@dataclass
class _Sample:
    wall_us: int
    """Sum of every module's own import time, as ``-X importtime`` reports it."""
    cpu_us: int
    """User + system CPU time of the whole process (interpreter start included)."""
    heaviest: list[tuple[int, str]]
    """(cumulative us, name) of the top-level packages, heaviest first."""


def _import_once(module: str, cwd: Path, pythonpath: str) -> _Sample:
    """Import ``module`` in a fresh interpreter, or raise RuntimeError with its last error."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": pythonpath,
        "PYTHONNOUSERSITE": "1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        # Importing must not touch AWS; anything that tries fails fast here.
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    code = f"import os, sys; sys.path.insert(0, os.getcwd()); import {module}"
    stderr, _, cpu_us = run_importing(
        [sys.executable, "-S", "-P", "-X", "importtime", "-c", code], cwd, env
    )
    total = 0
    packages: dict[str, int] = {}
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        total += int(match.group(1))
        name = match.group(4)
        if "." not in name:
            packages[name] = max(packages.get(name, 0), int(match.group(2)))
    heaviest = sorted(((us, name) for name, us in packages.items()), reverse=True)
    return _Sample(wall_us=total, cpu_us=cpu_us, heaviest=heaviest)


def _stepstream_modules(module: str, cwd: Path, pythonpath: str) -> list[tuple[int, str]]:
    """The stepstream modules that cost most (cumulative), to say where laziness would pay."""
    env = {"PYTHONPATH": pythonpath, "AWS_DEFAULT_REGION": "us-east-1", "PATH": ""}
    code = f"import os, sys; sys.path.insert(0, os.getcwd()); import {module}"
    result = subprocess.run(
        [sys.executable, "-S", "-P", "-X", "importtime", "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    rows = []
    for line in result.stderr.splitlines():
        match = _LINE.match(line)
        if match and match.group(4).startswith("stepstream."):
            rows.append((int(match.group(2)), match.group(4)))
    return sorted(rows, reverse=True)[:8]


def _layer_size(site: Path) -> dict[str, Any]:
    files = [p for p in site.rglob("*") if p.is_file()]
    unzipped = sum(p.stat().st_size for p in files)
    by_package: dict[str, int] = {}
    for p in files:
        top = p.relative_to(site).parts[0].split("-")[0]
        by_package[top] = by_package.get(top, 0) + p.stat().st_size
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "layer.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in files:
                zf.write(p, Path("python") / p.relative_to(site))
        zipped = archive.stat().st_size
    largest = sorted(by_package.items(), key=lambda item: -item[1])[:8]
    return {
        "unzipped_bytes": unzipped,
        "unzipped_mb": round(unzipped / 2**20, 1),
        "zipped_mb": round(zipped / 2**20, 1),
        "files": len(files),
        "share_of_lambda_limit": round(unzipped / LAMBDA_LAYER_LIMIT, 3),
        "largest_mb": {name: round(size / 2**20, 1) for name, size in largest},
    }


def run() -> dict[str, Any]:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    x86_dir, x86_seconds = _build("bench-x86_64", LAYER_ARCH="x86_64", LAYER_PYTHON_VERSION=version)
    arm_dir, arm_seconds = _build("bench-arm64")
    runtime = _runtime_dir()
    layer = x86_dir / "StepstreamLayer" / "python"
    pythonpath = os.pathsep.join([str(layer), str(runtime)])
    handlers = _handlers()
    anchor = x86_dir / next(iter(handlers))

    # "sys" is already loaded: that process costs only the interpreter's own start.
    subjects: dict[str, tuple[str, Path]] = {"startup": ("sys", anchor), "boto3": ("boto3", anchor)}
    subjects.update({m: (m, x86_dir / lid) for lid, m in handlers.items()})
    errors: dict[str, str] = {}
    cold: dict[str, _Sample] = {}
    for name, (module, cwd) in subjects.items():  # first import: compiles, writes bytecode
        try:
            cold[name] = _import_once(module, cwd, pythonpath)
        except RuntimeError as exc:
            errors[name] = str(exc)
    samples: dict[str, list[_Sample]] = {name: [] for name in subjects if name not in errors}
    for _ in range(ROUNDS):  # interleaved, so load on a shared machine hits all alike
        for name in samples:
            module, cwd = subjects[name]
            samples[name].append(_import_once(module, cwd, pythonpath))

    startup_cpu = min(x.cpu_us for x in samples["startup"])

    def figures(name: str) -> dict[str, float]:
        wall = [x.wall_us for x in samples[name]]
        cpu = [max(0, x.cpu_us - startup_cpu) for x in samples[name]]
        return {"wall_min": min(wall), "wall_median": statistics.median(wall), "cpu_min": min(cpu)}

    base = figures("boto3")
    handler_rows: dict[str, Any] = {}
    for name in subjects:
        if name in ("startup", "boto3"):
            continue
        if name in errors:
            handler_rows[name] = {"error": errors[name]}
            continue
        f = figures(name)
        handler_rows[name] = {
            "import_ms": round(f["wall_min"] / 1000, 1),
            "ratio_to_boto3": round(f["wall_min"] / base["wall_min"], 2),
            "import_ms_median": round(f["wall_median"] / 1000, 1),
            "ratio_to_boto3_median": round(f["wall_median"] / base["wall_median"], 2),
            "import_cpu_ms": round(f["cpu_min"] / 1000, 1),
            "ratio_to_boto3_cpu": round(f["cpu_min"] / max(1.0, base["cpu_min"]), 2),
            "first_import_ms_without_bytecode": round(cold[name].wall_us / 1000, 1),
            "heaviest_packages_ms": {
                n: round(us / 1000, 1)
                for us, n in min(samples[name], key=lambda x: x.wall_us).heaviest[:8]
            },
        }
    executor = handler_rows.get("executor", {})
    if "import_ms" in executor:
        executor["heaviest_stepstream_modules_ms"] = {
            n: round(us / 1000, 1)
            for us, n in _stepstream_modules("executor", subjects["executor"][1], pythonpath)
        }
    shutil.rmtree(runtime, ignore_errors=True)

    result: dict[str, Any] = {
        "bench": "cold_start",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            # Shared by several jobs: timings scale with this, ratios much less.
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "command": "python -m bench.cold_start",
        "method": (
            f"{ROUNDS} fresh `python -S -P -X importtime` processes per module, interleaved, "
            "after a warm-up import that writes bytecode. import_ms = sum of the modules' own "
            "times in the least disturbed run (min; noise only adds), with the median next to "
            "it; import_cpu_ms = the process's user+system CPU minus an empty interpreter's"
        ),
        "baseline": {
            "import_boto3_ms": round(base["wall_min"] / 1000, 1),
            "import_boto3_ms_median": round(base["wall_median"] / 1000, 1),
            "import_boto3_cpu_ms": round(base["cpu_min"] / 1000, 1),
            "first_import_ms_without_bytecode": round(cold["boto3"].wall_us / 1000, 1),
        },
        "handlers": handler_rows,
        "target": {
            "executor_ratio_below": TARGET_EXECUTOR_RATIO,
            # Judged on the median: the minimum is the best a cold start did, not what one costs.
            "judged_on": "ratio_to_boto3_median",
            "met": executor.get("ratio_to_boto3_median", float("inf")) < TARGET_EXECUTOR_RATIO,
        },
        "layer_arm64": _layer_size(arm_dir / "StepstreamLayer" / "python"),
        "sam_build_seconds": {"arm64": round(arm_seconds, 1), "x86_64": round(x86_seconds, 1)},
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's lines of the README's table (``bench.readme``): medians, with the
    minimum (the least disturbed of the runs) after them."""
    from bench.readme import ReadmeRow, times

    handlers = report["handlers"]
    target = f"< {times(report['target']['executor_ratio_below'])} (median)"
    rows = []
    for name, label, goal in (("executor", "executor", target), ("api", "API", "")):
        h = handlers[name]
        rows.append(
            ReadmeRow(
                f"{label} handler import vs `import boto3`",
                f"{times(h['ratio_to_boto3_median'])} median ({times(h['ratio_to_boto3'])} min)",
                goal,
            )
        )
    layer = report["layer_arm64"]
    rows.append(
        ReadmeRow(
            "Lambda layer, arm64, unzipped",
            f"{layer['unzipped_mb']:g} MB ({layer['zipped_mb']:g} MB zipped)",
            "≪ 250 MB",
        )
    )
    return rows


def _print(result: dict[str, Any]) -> None:
    base = result["baseline"]
    print(f"import boto3: {base['import_boto3_ms']} ms, {base['import_boto3_cpu_ms']} ms CPU")
    print(
        f"{'handler':<16}{'import ms':>10}{'x boto3':>9}"
        f"{'CPU ms':>8}{'x boto3':>9}{'no .pyc ms':>12}"
    )
    for name, row in result["handlers"].items():
        if "error" in row:
            print(f"{name:<16}  import failed: {row['error']}")
        else:
            print(
                f"{name:<16}{row['import_ms']:>10}{row['ratio_to_boto3']:>9}"
                f"{row['import_cpu_ms']:>8}{row['ratio_to_boto3_cpu']:>9}"
                f"{row['first_import_ms_without_bytecode']:>12}"
            )
    layer = result["layer_arm64"]
    print(f"layer (arm64): {layer['unzipped_mb']} MB unzipped, {layer['zipped_mb']} MB zipped")


if __name__ == "__main__":
    _print(run())
