"""GIVEN the dashboard, and an API answering events whose ``ts`` JavaScript cannot represent as a
date (over 8.64e15 ms: stored before the API bounded ``ts``, or from another producer)
WHEN the Events page opens
THEN it lists every event, the ordinary one with its time, and the page raises no error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette

from stepstream.local._dashboard import DashboardConfig, dashboard_routes
from tests.support.serve import serve

EVENTS = [
    {"id": "huge", "name": "test/huge", "data": {}, "ts": 10**30, "received_at": 1},
    {"id": "edge", "name": "test/edge", "data": {}, "ts": 8_640_000_000_000_001},
    {"id": "fine", "name": "test/fine", "data": {}, "ts": 1_700_000_000_000},
]


@pytest.fixture
def page(chromium_browser: Any) -> Iterator[Any]:
    context = chromium_browser.new_context()
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    yield tab
    context.close()


def _answer(route: Any) -> None:
    body = {"data": EVENTS if "/v1/events?" in route.request.url else []}
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


def test_the_events_page_survives_a_huge_ts(page: Any) -> None:
    app = Starlette(routes=dashboard_routes(DashboardConfig(None, loopback_only=True)))
    with serve(app) as url:
        page.route("**/v1/**", _answer)
        page.goto(url + "/#/events")
        page.wait_for_selector("text=test/fine", timeout=10_000)
        rows = page.locator("tbody tr.row").all_inner_texts()
    assert [row.split("\t")[1] for row in rows] == ["test/huge", "test/edge", "test/fine"]
    assert page.errors == []
