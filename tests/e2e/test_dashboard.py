"""GIVEN the dev stack and a run of the generate-response and hello-world examples, started here
WHEN the dashboard opens THEN it links every demo page and lists the examples' functions and the
runs. (The session's other tests may have started more runs; the test needs none of them.)"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from stepstream.config import DEV_EVENT_KEY

from .conftest import DevStack, screenshot, wait_until

pytestmark = pytest.mark.e2e
EXAMPLES = ["agentic-workflow", "generate-response", "hello-world", "post/like"]
DEMOS = ["agentic-workflow", "generate-response", "hello-world", "post-like"]
STARTED = ("generate-response", "hello-world")
SETTLED = {"completed", "failed", "cancelled"}


def test_dashboard_links_the_demos_and_shows_their_runs(dev_stack: DevStack, page: Any) -> None:
    functions = {f["id"] for f in dev_stack.api("GET", "/v1/functions")["data"]}
    assert set(EXAMPLES) <= functions
    events = [
        {
            "name": "app/prompt.submitted",
            "data": {"runId": str(uuid.uuid4()), "prompt": "Say hello to the dashboard"},
        },
        {"name": "hello-world/hello", "data": {"uuid": str(uuid.uuid4())}},
    ]
    sent = dev_stack.http.post(f"{dev_stack.url}/e/{DEV_EVENT_KEY}", json=events)
    sent.raise_for_status()

    def settled() -> bool:
        runs = [run for fid in STARTED for run in dev_stack.runs(fid)]
        return len(runs) >= len(STARTED) and all(run["state"] in SETTLED for run in runs)

    wait_until(page, settled, "the generate-response and hello-world runs to settle")
    page.goto(dev_stack.url + "/")

    links = page.eval_on_selector_all(
        "#demos a", "links => links.map(a => [a.textContent, a.getAttribute('href')])"
    )
    assert sorted(links) == [[name, f"/web/demos/{name}/index.html"] for name in DEMOS]
    for function_id in STARTED:
        # the runs table links each run's function (the nav's demo links have the same text)
        page.wait_for_selector(f"a[href='#/runs?function={function_id}']", timeout=15_000)
    screenshot(page, "dashboard")
    assert page.errors == []
