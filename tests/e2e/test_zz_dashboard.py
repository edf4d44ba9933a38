"""GIVEN the dev stack after the demos ran (this module runs last) WHEN the dashboard opens THEN
it links every demo page and lists the examples' functions and their runs."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import DevStack, screenshot

pytestmark = pytest.mark.e2e
EXAMPLES = ["agentic-workflow", "generate-response", "hello-world", "post/like"]
DEMOS = ["agentic-workflow", "generate-response", "hello-world", "post-like"]


def test_dashboard_links_the_demos_and_shows_their_runs(dev_stack: DevStack, page: Any) -> None:
    functions = {f["id"] for f in dev_stack.api("GET", "/v1/functions")["data"]}
    assert set(EXAMPLES) <= functions

    page.goto(dev_stack.url + "/")

    links = page.eval_on_selector_all(
        "#demos a", "links => links.map(a => [a.textContent, a.getAttribute('href')])"
    )
    assert sorted(links) == [[name, f"/web/demos/{name}/index.html"] for name in DEMOS]
    page.wait_for_selector("text=generate-response", timeout=15_000)
    screenshot(page, "dashboard")
    assert page.errors == []
