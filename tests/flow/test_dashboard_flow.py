"""GIVEN the local stack with its dashboard, running ``dev_flow_app`` (no executor, so what is
held stays held), two slots of a concurrency key taken, a run parked in line behind them, a
throttle key used and debounced events gathered, in Debian's headless Chromium
WHEN a person opens the functions page and the runs page
THEN each function's card shows its usage next to its limits (slots running and queued for the
key, the throttle's next start, the open debounce window) and the runs page lists the window
that has no run yet, with no script errors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stepstream.config import DEV_EVENT_KEY
from stepstream.engine._flow._concurrency import counters
from stepstream.local import LambdaContext, LocalStack, StackOptions
from tests.flow import dev_flow_app
from tests.support.aws import TEMPLATE, MotoEndpoint

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(moto_endpoint: MotoEndpoint) -> Iterator[LocalStack]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEPSTREAM_APP", "tests.flow.dev_flow_app:app")
        options = StackOptions(
            template=TEMPLATE,
            aws_endpoint=moto_endpoint.url,
            resource_prefix=f"dd{uuid.uuid4().hex[:8]}-",
            pollers=False,
            schedules=False,
        )
        with LocalStack(options) as running:
            yield running


def send(stack: LocalStack, events: list[dict[str, Any]]) -> list[str]:
    answer = httpx.post(f"{stack.url}/e/{DEV_EVENT_KEY}", json=events, timeout=20)
    assert answer.status_code == 200, answer.text
    return [str(i) for i in answer.json()["ids"]]


def test_the_dashboard_shows_usage_and_windows_without_a_run(
    stack: LocalStack, chromium_browser: Any
) -> None:
    app = dev_flow_app.app
    fn = app.get_function("dev-concurrency")
    assert fn is not None
    event = {"name": "dev/concurrency", "data": {"user": "ann"}}
    [counter] = counters(fn, event)
    far = int(time.time() * 1000) + 600_000
    for holder in ("holder-a", "holder-b"):
        assert app.backends().state.acquire_slots(holder, [counter.limit], far) is None
    [event_id] = send(stack, [event])
    [run] = app.runs.for_event(event_id)
    app.execute({"run_id": run.run_id}, LambdaContext(timeout_ms=30_000))  # parks in line
    send(stack, [{"name": "dev/throttle"}, {"name": "dev/throttle"}])
    ids = send(stack, [{"name": "dev/debounce", "data": {"doc": "memo", "n": n}} for n in (1, 2)])

    errors: list[str] = []
    page = chromium_browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(20_000)
    try:
        page.goto(stack.url + "/#/functions")
        usage = page.locator('.usage[data-function="dev-concurrency"]')
        usage.locator(".usage-concurrency", has_text="ann: 2/2 running, 1 queued").wait_for()
        throttle = page.locator('.usage[data-function="dev-throttle"]')
        throttle.locator(".usage-throttle", has_text="next start").wait_for()
        debounce = page.locator('.usage[data-function="dev-debounce"]')
        debounce.locator(".usage-pending", has_text=f"(last event {ids[-1]})").wait_for()
        assert "debounced until" in debounce.inner_text()
        assert "reads" in usage.inner_text()

        page.goto(stack.url + "/#/runs")
        pending = page.locator("#pending .pending-item", has_text="dev-debounce")
        pending.wait_for()
        assert f"(last event {ids[-1]})" in pending.inner_text()
    finally:
        page.close()
    assert errors == []
