"""GIVEN a dev stack and Debian's headless Chromium
WHEN a person uses the dashboard
THEN runs appear live with their status, a run page shows its steps and a timeline, the channel
inspector shows messages a run publishes as they arrive, and the send form starts a run. The
pages raise no script errors. Screenshots go to docs/screenshots/ for the README."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stepstream.config import DEV_EVENT_KEY
from tests.support.devprocess import ROOT, DevProcess

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser_page(
    test_stack: DevProcess, chromium_browser: Any
) -> Iterator[tuple[object, list[str]]]:
    errors: list[str] = []
    page = chromium_browser.new_page(viewport={"width": 1280, "height": 820})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(20_000)
    yield page, errors
    page.close()


def _send(stack: DevProcess, name: str, data: dict[str, int]) -> None:
    sent = httpx.post(f"{stack.url}/e/{DEV_EVENT_KEY}", json={"name": name, "data": data})
    assert sent.status_code == 200


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"dashboard-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_runs_appear_live_and_a_run_shows_steps_and_timeline(
    test_stack: DevProcess, browser_page: tuple[object, list[str]]
) -> None:
    page, errors = browser_page
    page.goto(test_stack.url + "/#/runs")  # type: ignore[attr-defined]
    _send(test_stack, "test/echo", {"n": 50})
    _send(test_stack, "test/fail", {})
    row = page.locator("#runs-table tbody tr", has_text="echo").first  # type: ignore[attr-defined]
    row.locator(".badge", has_text="completed").wait_for()
    page.locator("#runs-table tbody tr", has_text="fail").locator(  # type: ignore[attr-defined]
        ".badge", has_text="failed"
    ).first.wait_for()
    _shot(page, "runs")

    row.click()
    page.locator("table.steps td", has_text="double").wait_for()  # type: ignore[attr-defined]
    assert page.locator("#run-timeline .bar").count() >= 1  # type: ignore[attr-defined]
    assert '"doubled": 100' in page.locator("#run-output").inner_text()  # type: ignore[attr-defined]
    page.locator("table.steps tbody tr.row").first.click()  # type: ignore[attr-defined]
    page.locator("tr.detail pre", has_text="100").wait_for()  # type: ignore[attr-defined]
    _shot(page, "run")
    assert errors == []


def test_channel_inspector_shows_published_messages_live(
    test_stack: DevProcess, browser_page: tuple[object, list[str]]
) -> None:
    page, errors = browser_page
    page.goto(test_stack.url + "/#/inspector?channel=devstack-progress&topics=progress")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Subscribe").click()  # type: ignore[attr-defined]
    page.locator("#inspector-status", has_text="open").wait_for()  # type: ignore[attr-defined]
    _send(test_stack, "test/echo", {"n": 31})
    page.locator("#inspector-log tr:not(.runframe)", has_text='"doubled":62').wait_for()  # type: ignore[attr-defined]
    _shot(page, "inspector")
    assert errors == []


def test_send_form_starts_a_run(
    test_stack: DevProcess, browser_page: tuple[object, list[str]]
) -> None:
    page, errors = browser_page
    page.goto(test_stack.url + "/#/send")  # type: ignore[attr-defined]
    page.fill("input[name=name]", "test/echo")  # type: ignore[attr-defined]
    page.fill("textarea[name=data]", '{"n": 4}')  # type: ignore[attr-defined]
    page.get_by_role("button", name="Send event").click()  # type: ignore[attr-defined]
    page.locator("#send-result a.chip", has_text="echo").wait_for()  # type: ignore[attr-defined]
    page.locator("#send-result .badge", has_text="completed").wait_for()  # type: ignore[attr-defined]
    _shot(page, "send")

    page.fill("textarea[name=data]", "{not json")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Send event").click()  # type: ignore[attr-defined]
    page.locator("#send-result .notice", has_text="not valid JSON").wait_for()  # type: ignore[attr-defined]
    assert errors == []
