"""GIVEN the CloudWatch dashboard in template.yaml and the EMF lines a scripted run printed
WHEN the dashboard body is read as CloudFormation would make it (its ``!Sub`` resolved)
THEN it is valid JSON, and every metric it names in the ``stepstream`` namespace, as a metric
or inside a SEARCH expression, is one the run emitted: a dashboard graph of a metric the code
never writes would stay empty forever. Its other metrics are AWS's own (SQS, Lambda)."""

from __future__ import annotations

import json
import re
from typing import Any

from stepstream.local._provision import load_template

from ._scenario import Observed
from .conftest import TEMPLATE

SEARCH = re.compile(r"SEARCH\('\{(?P<namespace>[^,}]+)[^}]*\}\s+MetricName=\"(?P<name>[^\"]+)\"")


def dashboard_body() -> dict[str, Any]:
    resources = load_template(TEMPLATE)["Resources"]
    (dashboard,) = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    assert isinstance(body, str)
    resolved = re.sub(r"\$\{([^}]+)\}", lambda m: f"resolved-{m.group(1)}", body)
    parsed: dict[str, Any] = json.loads(resolved)
    return parsed


def named_metrics(body: dict[str, Any]) -> set[tuple[str, str]]:
    """(namespace, metric name) of every metric the widgets graph."""
    found: set[tuple[str, str]] = set()
    for widget in body["widgets"]:
        for row in widget.get("properties", {}).get("metrics", []):
            if isinstance(row[0], dict):
                match = SEARCH.search(row[0]["expression"])
                assert match, f"an expression that names no metric: {row[0]}"
                found.add((match["namespace"], match["name"]))
            else:
                assert row[0] != ".", "write each metric out in full: the test reads them"
                found.add((row[0], row[1]))
    return found


def test_the_dashboard_names_only_metrics_the_code_emits(observed: Observed) -> None:
    named = named_metrics(dashboard_body())
    ours = {name for namespace, name in named if namespace == "stepstream"}
    assert ours, "the dashboard shows none of the library's metrics"
    assert not ours - set(observed.metrics()), "named on the dashboard, never emitted"
    assert {namespace for namespace, _ in named} <= {"stepstream", "AWS/SQS", "AWS/Lambda"}
