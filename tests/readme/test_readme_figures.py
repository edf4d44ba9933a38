"""GIVEN bench/results/*.json WHEN the README's generated tables are rebuilt from them THEN the
README holds exactly those tables: a figure edited by hand, or a result re-run without
regenerating, fails here (``python -m bench.readme`` fixes it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench import readme


def test_the_readme_tables_are_the_results() -> None:
    text = readme.README.read_text(encoding="utf-8")
    assert readme.differences(text, readme.regions(readme.load_results())) == []


def test_every_results_file_is_summarised() -> None:
    results = readme.load_results()
    assert results
    missing = [name for name, report in results.items() if readme.rows_of(name, report) is None]
    assert missing == []


def test_a_changed_result_makes_the_readme_disagree(tmp_path: Path) -> None:
    shutil.copytree(readme.RESULTS, tmp_path / "results")
    engine = tmp_path / "results" / "engine.json"
    report = json.loads(engine.read_text(encoding="utf-8"))
    report["runs"][0]["checkpoint_writes_per_step"] = 3
    engine.write_text(json.dumps(report), encoding="utf-8")

    problems = readme.differences(
        readme.README.read_text(encoding="utf-8"),
        readme.regions(readme.load_results(tmp_path / "results")),
    )

    assert len(problems) == 1
    assert "3 (10 steps)" in problems[0]


def test_a_hand_edited_figure_is_found() -> None:
    generated = readme.regions(readme.load_results())
    text = readme.render(readme.README.read_text(encoding="utf-8"), generated)
    edited = text.replace("| 1 |", "| 0.5 |", 1)
    assert edited != text
    assert readme.differences(edited, generated)


def test_a_file_without_a_declared_spec_is_listed_not_dropped(tmp_path: Path) -> None:
    (tmp_path / "mystery.json").write_text('{"date": "2026-01-01"}', encoding="utf-8")
    (tmp_path / "declared.json").write_text(
        json.dumps({"date": "2026-01-02", "readme_rows": [{"what": "w", "result": "r"}]}),
        encoding="utf-8",
    )
    table = readme.main_table(readme.load_results(tmp_path))
    assert "| w | r |  | `bench.declared` (2026-01-02) |" in table
    assert "`bench/results/mystery.json`" in table
