"""GIVEN the dev stack WHEN the hello-world page posts to ``/api/hello-world`` THEN the run's
"Hello, world!" arrives over the SSE answer; WHEN the post/like page likes post 123 THEN the
log and the new like count render, and an empty postId logs the error and fails the run."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import DevStack, screenshot, wait_until

pytestmark = pytest.mark.e2e


def test_hello_world_streams_the_runs_logs(dev_stack: DevStack, page: Any) -> None:
    page.goto(dev_stack.url + "/web/demos/hello-world/index.html")

    page.click("#say-hello")

    page.wait_for_selector("text=stream ended (the run completed)", timeout=30_000)
    [event] = page.evaluate("window.__demo.events")
    assert event["topic"] == "logs"
    assert event["data"] == "Hello, world!"
    assert event["channel"].startswith("hello-world.")
    assert "Hello, world!" in page.text_content("#log")
    screenshot(page, "hello-world")


def test_hello_world_without_the_route_does_the_same_from_the_browser(
    dev_stack: DevStack, page: Any
) -> None:
    # GIVEN a stack that does not mount /api/hello-world (plain `make dev` today)
    page.route("**/api/hello-world", lambda route: route.fulfill(status=404, body="{}"))
    page.goto(dev_stack.url + "/web/demos/hello-world/index.html")

    page.click("#say-hello")

    # THEN the page subscribes, sends the event itself, and shows the run's log
    page.wait_for_selector("text=subscription closed (the run completed)", timeout=30_000)
    [event] = page.evaluate("window.__demo.events")
    assert (event["topic"], event["data"]) == ("logs", "Hello, world!")
    assert "is not mounted" in page.text_content("#log")


def test_post_like_logs_and_updates_the_count(dev_stack: DevStack, page: Any) -> None:
    page.goto(dev_stack.url + "/web/demos/post-like/index.html")
    page.wait_for_selector("#global-status:text('open')", timeout=15_000)
    page.wait_for_selector("#post-status:text('open')", timeout=15_000)

    page.click("#like")
    page.wait_for_function("window.__demo.updated.length === 1", timeout=20_000)
    page.click("#like-missing")
    page.wait_for_function("window.__demo.logs.length === 2", timeout=20_000)

    assert page.evaluate("window.__demo.logs") == [
        "Liking post 123",
        "Missing postId when trying to like post",
    ]
    [updated] = page.evaluate("window.__demo.updated")
    assert updated["id"] == "123"
    assert page.text_content("#likes") == str(updated["likes"])

    def states() -> list[str]:
        return sorted(run["state"] for run in dev_stack.runs("post/like"))

    wait_until(page, lambda: states() == ["completed", "failed"], "a completed and a failed run")
    screenshot(page, "post-like")
