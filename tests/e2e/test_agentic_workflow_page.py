"""GIVEN the dev stack and the agentic-workflow demo in headless Chromium WHEN a workflow is
started THEN its "Confirm to proceed?" shows with Confirm and Reject buttons; Confirm resumes the
run, Reject stops it, no answer times out; and a socket killed while the answer is being sent
reconnects and misses nothing (the outcome is replayed from history, once)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import DevStack, Held, screenshot, wait_until

pytestmark = pytest.mark.e2e
PAGE = "/web/demos/agentic-workflow/index.html"


def start(page: Any, stack: DevStack, timeout: str = "") -> Any:
    """Open the page, start a workflow, and return its request card."""
    page.goto(stack.url + PAGE)
    page.wait_for_selector("body[data-status=open]", timeout=15_000)
    page.select_option("#timeout", timeout)
    page.click("#start")
    return page.wait_for_selector(".card[data-state=asked] .confirm", timeout=20_000)


def card_of(page: Any) -> Any:
    return page.query_selector(".card")


def run_for(stack: DevStack, uuid: str) -> dict[str, Any] | None:
    for run in stack.runs("agentic-workflow"):
        if isinstance(run["output"], dict) and run["output"].get("confirmationUUid") == uuid:
            return run
    return None


def test_confirm_resumes_the_run(dev_stack: DevStack, page: Any) -> None:
    start(page, dev_stack)
    uuid = card_of(page).get_attribute("data-uuid")
    screenshot(page, "agentic-workflow")

    page.click(".card .confirm")

    page.wait_for_selector(".card[data-state=confirmed]", timeout=20_000)
    outcome = page.text_content(".card .outcome")
    assert outcome == "Confirmed. Prepared: draft the reply to the customer, done."
    run = wait_until(page, lambda: run_for(dev_stack, uuid), "the run to complete")
    assert run["state"] == "completed"
    assert run["output"]["outcome"] == "confirmed"
    assert page.errors == []


def test_reject_stops_the_run(dev_stack: DevStack, page: Any) -> None:
    start(page, dev_stack)

    page.click(".card .reject")

    page.wait_for_selector(".card[data-state=rejected]", timeout=20_000)
    assert page.text_content(".card .outcome") == "Rejected: the workflow stopped."


def test_no_answer_times_out(dev_stack: DevStack, page: Any) -> None:
    start(page, dev_stack, timeout="2s")

    page.wait_for_selector(".card[data-state=timed-out]", timeout=30_000)
    assert page.text_content(".card .outcome") == "No answer in time: the workflow stopped."
    assert page.query_selector(".card .confirm") is None


def test_killed_socket_reconnects_and_misses_nothing(dev_stack: DevStack, page: Any) -> None:
    before = set(dev_stack.connections())
    start(page, dev_stack)
    [connection] = set(dev_stack.connections()) - before
    uuid = card_of(page).get_attribute("data-uuid")

    # WHEN the server kills the socket and the page cannot get a token for a while
    held = Held(page)
    dev_stack.kill(connection)
    page.wait_for_function("document.body.dataset.status !== 'open'", timeout=10_000)
    wait_until(page, lambda: held.waiting, "the page to ask for a fresh token")
    # ... and meanwhile the user confirms, and the run publishes its outcome
    page.click(".card .confirm")
    wait_until(page, lambda: run_for(dev_stack, uuid), "the run to complete")
    assert page.query_selector(".card[data-state=confirmed]") is None
    held.release()

    # THEN the page reconnects, resumes after its last seq, and shows the outcome once
    page.wait_for_selector(".card[data-state=confirmed]", timeout=15_000)
    page.wait_for_selector("body[data-status=open]")
    mine = [m for m in page.evaluate("window.__demo.messages") if m["confirmationUUid"] == uuid]
    assert [m["message"] for m in mine] == [
        "Confirm to proceed?",
        "Confirmed. Prepared: draft the reply to the customer, done.",
    ]
    errors = page.evaluate("window.__demo.errors")
    assert all("socket closed" in e for e in errors), errors
    assert page.errors == []
