"""GIVEN the Logs Insights queries in docs/queries and the JSON lines a scripted run logged
through the handlers' logger (what CloudWatch stores for it)
WHEN the field names each query reads are collected
THEN every one is a key the run's lines carry (or a Logs Insights ``@`` field), so a query
cannot silently match nothing because a field was renamed; and the run-story query's filter
finds the run's own lines."""

from __future__ import annotations

import re
from pathlib import Path

from ._scenario import Observed

QUERIES = sorted((Path(__file__).resolve().parents[2] / "docs" / "queries").glob("*.query"))
KEYWORDS = {
    "fields",
    "filter",
    "sort",
    "limit",
    "stats",
    "by",
    "as",
    "and",
    "or",
    "not",
    "in",
    "asc",
    "desc",
    "count",
    "count_distinct",
    "ispresent",
    "coalesce",
}


def fields_read(text: str) -> set[str]:
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    code = re.sub(r'"[^"]*"', '""', code)  # string literals are values, not fields
    aliases = set(re.findall(r"\bas\s+(\w+)", code))
    words = set(re.findall(r"(?<![@\w])([A-Za-z_]\w*)", code))
    return {w for w in words if w not in KEYWORDS | aliases and not w.isdigit()}


def test_there_are_queries() -> None:
    assert {q.name for q in QUERIES} >= {
        "run-story.query",
        "slowest-steps.query",
        "failures-by-error.query",
    }


def test_every_field_a_query_reads_is_logged(observed: Observed) -> None:
    logged = {key for line in observed.logs for key in line}
    for query in QUERIES:
        missing = fields_read(query.read_text()) - logged
        assert not missing, f"{query.name} reads fields no line carries: {sorted(missing)}"


def test_the_story_of_a_run_is_its_lines(observed: Observed) -> None:
    metered = next(line["run_id"] for line in observed.logs if line.get("function_id") == "metered")
    story = [line for line in observed.logs if line.get("run_id") == metered]
    messages = [line["message"] for line in story]
    assert messages[0] == "run started"
    assert messages[-1] == "run completed"
    steps = [line for line in story if "step_id" in line]
    assert [(s["step_id"], s["step_status"]) for s in steps] == [
        ("first", "ok"),
        ("flaky", "retry"),
        ("flaky", "ok"),
        ("tick", "ok"),
    ]
    assert all(isinstance(s["duration_ms"], int) for s in steps)
    failed = [line for line in observed.logs if line.get("run_status") == "failed"]
    assert {line["error_name"] for line in failed} == {"NonRetriableError", "PublishTooLargeError"}
