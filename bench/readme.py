"""The README's benchmark tables, generated from ``bench/results/*.json``.

A results file is in the table when its benchmark declares rows for it, in one of two ways:

- its module ``bench/<name>.py`` defines ``readme_rows(report) -> list[ReadmeRow]``, or
- the file itself carries ``"readme_rows": [{"what": ..., "result": ..., "target": ...}, ...]``.

Files that declare neither are listed under the table as not summarised, so a new benchmark is
never silently left out. Each row names the file it came from and that file's date. A module may
also define ``readme_table(report) -> str``: a table of its own, written between
``<!-- bench:<name>:begin -->`` and ``<!-- bench:<name>:end -->`` (the cost model's).

``python -m bench.readme`` rewrites the README's generated regions; ``--check`` exits 1 (and says
where) when the README does not match the results, which ``tests/readme`` asserts.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
MAIN_REGION = "bench"
ORDER = ("engine", "publish", "realtime", "delivery", "http", "cold_start", "cost")
"""Where known benchmarks go in the table; others follow in name order."""


@dataclass(frozen=True)
class ReadmeRow:
    """One line of the benchmark table."""

    what: str
    """What is measured."""
    result: str
    """The figure, as read from the results file."""
    target: str = ""
    """What it should be, if anything is promised."""


TIMES = "\N{MULTIPLICATION SIGN}"


def times(value: float) -> str:
    """A ratio as the README writes it: 1.02 and the multiplication sign."""
    return f"{value:.3g}{TIMES}"


def count(value: float) -> str:
    """A number with thousands separators: ``1,000``."""
    return f"{value:,}"


def _order(name: str) -> tuple[int, str]:
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


def load_results(results: Path = RESULTS) -> dict[str, dict[str, Any]]:
    """Every results file by benchmark name."""
    found = {}
    for path in sorted(results.glob("*.json"), key=lambda p: _order(p.stem)):
        found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return found


def _module_hook(name: str, hook: str) -> Callable[[dict[str, Any]], Any] | None:
    if not (ROOT / "bench" / f"{name}.py").is_file():
        return None
    function = getattr(importlib.import_module(f"bench.{name}"), hook, None)
    return function if callable(function) else None


def rows_of(name: str, report: dict[str, Any]) -> list[ReadmeRow] | None:
    """The rows ``name`` declares for ``report``; ``None`` when it declares none."""
    declared = _module_hook(name, "readme_rows")
    if declared is not None:
        rows: list[ReadmeRow] = declared(report)
        return rows
    if "readme_rows" in report:
        return [ReadmeRow(**row) for row in report["readme_rows"]]
    return None


def _date(report: dict[str, Any]) -> str:
    return str(report.get("date", "undated"))[:10]


def _machine(report: dict[str, Any]) -> str:
    """The machine a results file names, in one form (the benchmarks write it several ways)."""
    machine = report.get("machine")
    text = json.dumps(machine)
    arch = re.search(r"x86_64|aarch64|arm64", text)
    cpus = re.search(r'"cpus": (\d+)|(\d+) cpus?', text)
    python = re.search(r"(?i)python\"?:? \"?(\d+\.\d+\.\d+)", text)
    if not (arch and cpus and python):
        return str(machine or "an unnamed machine")
    named = f"{cpus.group(1) or cpus.group(2)}-core {arch.group(0)}, Python {python.group(1)}"
    load = re.search(r'"load_average_1m_at_end": ([0-9.]+)', text)
    # Timings on a machine shared with other jobs move with its load: say what it was.
    return f"{named}, load average {load.group(1)} at the end" if load else named


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main_table(results: dict[str, dict[str, Any]]) -> str:
    """The benchmark table and the lines under it."""
    lines = ["| what | result | target | from |", "| --- | --- | --- | --- |"]
    unsummarised: list[str] = []
    machines: dict[str, list[str]] = {}
    for name, report in results.items():
        rows = rows_of(name, report)
        if rows is None:
            unsummarised.append(name)
            continue
        machines.setdefault(_machine(report), []).append(name)
        source = f"`bench.{name}` ({_date(report)})"
        lines += [
            f"| {_cell(r.what)} | {_cell(r.result)} | {_cell(r.target)} | {source} |" for r in rows
        ]
    lines.append("")
    for machine, names in machines.items():
        lines.append(f"Machine for {', '.join(f'`bench.{n}`' for n in names)}: {machine}.")
    if unsummarised:
        listed = ", ".join(f"`bench/results/{n}.json`" for n in unsummarised)
        lines.append(f"Not summarised here (no `readme_rows`): {listed}.")
    return "\n".join(lines)


def regions(results: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Every generated region of the README by name."""
    found = {MAIN_REGION: main_table(results)}
    for name, report in results.items():
        table = _module_hook(name, "readme_table")
        if table is not None:
            found[f"{MAIN_REGION}:{name}"] = str(table(report))
    return found


def _markers(region: str) -> tuple[str, str]:
    return f"<!-- {region}:begin -->", f"<!-- {region}:end -->"


def render(readme: str, generated: dict[str, str]) -> str:
    """``readme`` with each region's text replaced; a region without markers is an error."""
    for region, text in generated.items():
        begin, end = _markers(region)
        head, found, rest = readme.partition(begin)
        if not found or end not in rest:
            raise LookupError(f"README.md has no {begin} ... {end} region for {region!r}")
        _, _, tail = rest.partition(end)
        readme = f"{head}{begin}\n{text}\n{end}{tail}"
    return readme


def differences(readme: str, generated: dict[str, str]) -> list[str]:
    """Regions whose README text is not what the results give, each with its first bad line."""
    problems = []
    for region, text in generated.items():
        begin, end = _markers(region)
        _, found, rest = readme.partition(begin)
        if not found or end not in rest:
            problems.append(f"no {begin} ... {end} region in README.md")
            continue
        current = rest.partition(end)[0].strip("\n").splitlines()
        wanted = text.splitlines()
        for line_no, (have, want) in enumerate(zip(current, wanted, strict=False), start=1):
            if have != want:
                problems.append(
                    f"{region} line {line_no}: README has {have!r}, results give {want!r}"
                )
                break
        else:
            if len(current) != len(wanted):
                problems.append(
                    f"{region}: README has {len(current)} lines, results give {len(wanted)}"
                )
    return problems


def main(argv: list[str]) -> int:
    generated = regions(load_results())
    readme = README.read_text(encoding="utf-8")
    if "--check" in argv:
        problems = differences(readme, generated)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `python -m bench.readme` to regenerate the README's tables", file=sys.stderr)
        return 1 if problems else 0
    README.write_text(render(readme, generated), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
