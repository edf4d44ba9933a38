"""GIVEN the dashboard in headless Chromium WHEN an operator reruns a run, replays a function's
failed runs (seeing the count and confirming), cancels runs in bulk and pauses a function THEN
each happens through the operations API and the page says what it did, with no script errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stepstream.local import Provisioned

from ._ops_app import AUTH, OpsApp, run_until_settled, served

pytestmark = pytest.mark.e2e


@pytest.fixture
def page(chromium_browser: Any) -> Iterator[tuple[Any, list[str]]]:
    errors: list[str] = []
    page = chromium_browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(20_000)
    yield page, errors
    page.close()


def test_rerun_replay_cancel_and_pause(aws: Provisioned, page: tuple[Any, list[str]]) -> None:
    browser, errors = page
    ops = OpsApp()
    with served(ops, dashboard=True) as http:
        url = str(http.base_url).rstrip("/")
        failed = [ops.send(http, "runops/charge", {"n": n}) for n in range(2)]
        ops.broken = False

        # Rerun on a run page: it opens the new run, linked to the old one
        browser.goto(f"{url}/#/run/{failed[0]}")
        browser.locator("#rerun").click()
        browser.locator("#rerun-of", has_text=failed[0]).wait_for()
        run_until_settled(ops.app)
        browser.locator(".head .badge", has_text="completed").wait_for()

        # Rerun from a step: the step's detail row has the button; the earlier step is kept
        ops.bodies.clear()
        browser.goto(f"{url}/#/run/{failed[1]}")
        browser.locator("table.steps tbody tr.row", has_text="charge").click()
        browser.locator("button.rerun-from").click()
        browser.locator("#rerun-of", has_text=failed[1]).wait_for()
        run_until_settled(ops.app)
        browser.locator(".head .badge", has_text="completed").wait_for()
        assert ops.bodies == ["charge", "receipt"]

        # Replay failed runs: counted, confirmed, started
        browser.goto(f"{url}/#/functions")
        card = browser.locator("section.card.fn", has_text="charge")
        card.locator("button.replay").click()
        card.locator(".confirm-question", has_text="Replay 2 failed runs of charge?").wait_for()
        card.locator("button.confirm").click()
        card.locator(".op-done", has_text="Started 2 runs").wait_for()
        run_until_settled(ops.app)
        card.locator(".op-progress", has_text="finished 2/2").wait_for()
        statuses = [r["state"] for r in http.get("/v1/runs", headers=AUTH).json()["data"]]
        assert statuses.count("completed") == 4  # the two reruns and the two replayed

        # Bulk cancel with an expression
        keep = ops.send(http, "runops/nap", {"who": "keep"})
        stop = ops.send(http, "runops/nap", {"who": "stop"})
        nap = browser.locator("section.card.fn", has_text="nap")
        nap.locator("input.cel").fill("event.data.who == 'stop'")
        nap.locator("button.bulk-cancel").click()
        nap.locator("button.confirm").click()
        nap.locator(".op-done", has_text="Cancelled 1 run.").wait_for()
        assert ops.run(http, stop)["state"] == "cancelled"
        assert ops.run(http, keep)["state"] == "sleeping"

        # A CEL error is shown, nothing changes
        nap.locator("input.cel").fill("event.data.who ==")
        nap.locator("button.bulk-cancel").click()
        nap.locator("button.confirm").click()
        nap.locator(".op-error", has_text="invalid CEL expression").wait_for()
        assert ops.run(http, keep)["state"] == "sleeping"

        # Pause, then resume
        nap.locator("button.pause").click()
        browser.locator("#functions-message", has_text="Paused").wait_for()
        nap = browser.locator("section.card.fn", has_text="nap")
        nap.locator(".badge.paused", has_text="paused (hold)").wait_for()
        assert http.get("/v1/pauses", headers=AUTH).json()["data"] == {"nap": "hold"}
        nap.locator("button.resume").click()
        browser.locator("#functions-message", has_text="Resumed").wait_for()
        assert http.get("/v1/pauses", headers=AUTH).json()["data"] == {}
    assert errors == []
