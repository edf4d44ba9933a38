"""GIVEN the dev stack and a hello-world run started here WHEN it has finished THEN the API
returns its cost ledger with a dollar estimate, the dashboard's run page shows it, and the
functions page shows hello-world's cost for the day the run was created."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from stepstream.config import DEV_EVENT_KEY

from .conftest import DevStack, screenshot, wait_until

pytestmark = pytest.mark.e2e
SETTLED = {"completed", "failed", "cancelled"}


def test_the_dashboard_shows_a_runs_cost_and_each_functions_cost_per_day(
    dev_stack: DevStack, page: Any
) -> None:
    marker = str(uuid.uuid4())
    sent = dev_stack.http.post(
        f"{dev_stack.url}/e/{DEV_EVENT_KEY}",
        json={"name": "hello-world/hello", "data": {"uuid": marker}},
    )
    sent.raise_for_status()
    [event_id] = sent.json()["ids"]

    def finished() -> dict[str, Any] | None:
        runs = dev_stack.api("GET", f"/v1/events/{event_id}/runs")["data"]
        done = [r for r in runs if r["state"] in SETTLED and r["cost"] is not None]
        return done[0] if done else None

    run = wait_until(page, finished, "the hello-world run to finish with its ledger")
    cost = dev_stack.api("GET", f"/v1/runs/{run['run_id']}")["data"]["cost"]
    assert cost["units"]["lambda_invocations"] >= 1
    assert cost["units"]["dynamodb_requests"] >= 1
    assert cost["usd"] > 0
    assert cost["prices_date"]

    page.goto(f"{dev_stack.url}/#/run/{run['run_id']}")
    shown = page.wait_for_selector("#run-cost-usd", timeout=15_000)
    assert shown.text_content().startswith("$")
    assert "DynamoDB requests" in page.text_content("#run-cost")
    screenshot(page, "dashboard-run-cost")

    page.goto(f"{dev_stack.url}/#/functions")
    day = run["created_at"][:10]
    card = "section.fn:has(h2:text-is('hello-world'))"
    line = page.wait_for_selector(f"{card} .cost:has-text('{day} $')", timeout=15_000)
    assert line is not None
    screenshot(page, "dashboard-functions-cost")
    assert page.errors == []
