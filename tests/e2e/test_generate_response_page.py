"""GIVEN the dev stack and the generate-response demo (the seed's AIStream on stepstream's
useRealtime) in headless Chromium WHEN Generate is clicked THEN tokens render one after another,
and the final result equals the streamed text; Inngest's own hook (inngest/react) on the same
run renders the same messages; a socket killed mid-stream reconnects and still shows the whole
result (kept in history)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from app.model import LOCAL_MODEL_NAME, local_answer, split_tokens

from tests.support.devprocess import ROOT

from .conftest import DevStack, Held, screenshot, wait_until

pytestmark = pytest.mark.e2e
PROMPT = "Summarize the key points of this document..."
PAGE = "/web/demos/generate-response/index.html"
NODE_SCRIPT = Path(__file__).parent / "node" / "official_subscribe_until_result.mjs"
APP_ID = "stepstream-demo"  # functions/app/client.py

# Every text the streaming <div> shows, in order, seen by the browser itself.
RECORD_RENDERS = """() => {
  window.__renders = [];
  const observer = new MutationObserver(() => {
    const node = document.querySelector('[data-testid=streaming]');
    const text = node ? node.textContent : null;
    if (text && window.__renders[window.__renders.length - 1] !== text) window.__renders.push(text);
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def open_page(page: Any, stack: DevStack, query: str = "") -> None:
    page.goto(f"{stack.url}{PAGE}{query}")
    page.wait_for_selector("text=Connection: open", timeout=15_000)


def data_messages(page: Any) -> list[tuple[str, Any]]:
    messages = page.evaluate("window.__demo.messages")
    return [(m["topic"], m["data"]) for m in messages if m["kind"] == "data"]


def test_tokens_render_incrementally_and_result_equals_streamed_text(
    dev_stack: DevStack, page: Any
) -> None:
    open_page(page, dev_stack)
    page.evaluate(RECORD_RENDERS)

    page.click("#generate")
    page.wait_for_function(
        "(document.querySelector('[data-testid=streaming]')?.textContent ?? '').length > 80"
    )
    screenshot(page, "generate-response-streaming")
    page.wait_for_selector("[data-testid=output]", timeout=30_000)

    output = page.text_content("[data-testid=output]")
    assert output == local_answer(PROMPT)
    renders: list[str] = page.evaluate("window.__renders")
    # THEN the text grew piece by piece, each render a longer prefix of the final output
    assert len(renders) >= len(split_tokens(output)) // 2, renders
    for shorter, longer in itertools.pairwise(renders):
        assert longer.startswith(shorter)
        assert len(longer) > len(shorter)
    assert all(output.startswith(text) for text in renders)
    # THEN the result is exactly the tokens streamed, and the metadata is the model's
    streamed = "".join(d["token"] for topic, d in data_messages(page) if topic == "tokens")
    assert streamed == output
    tokens_used = len(output.split(" "))
    assert page.text_content("[data-testid=meta]") == (
        f"Model: {LOCAL_MODEL_NAME} | Tokens: {tokens_used}"
    )
    assert page.errors == []
    screenshot(page, "generate-response")


def test_official_inngest_hook_receives_the_same_messages(
    dev_stack: DevStack, browser: Any
) -> None:
    # GIVEN two pages on one run: ours, and the same component on inngest/react's useRealtime
    run_id = str(uuid.uuid4())
    context = browser.new_context()
    ours, official = context.new_page(), context.new_page()
    errors: list[str] = []
    for tab in (ours, official):
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
    open_page(ours, dev_stack, f"?runId={run_id}")
    open_page(official, dev_stack, f"?runId={run_id}&client=inngest")
    assert official.evaluate("window.__demo.client") == "inngest"

    # WHEN the run streams
    ours.click("#generate")
    for tab in (ours, official):
        tab.wait_for_selector("[data-testid=output]", timeout=30_000)

    # THEN both render the same result from the same messages, in the same order
    assert official.text_content("[data-testid=output]") == local_answer(PROMPT)
    assert official.text_content("[data-testid=meta]") == ours.text_content("[data-testid=meta]")
    seen_by_official = data_messages(official)
    assert seen_by_official == data_messages(ours)
    topics = [t for t, _ in seen_by_official]
    assert (topics[0], topics[-1]) == ("status", "result")
    assert errors == []
    context.close()


def test_killed_socket_reconnects_and_the_result_arrives_whole(
    dev_stack: DevStack, page: Any
) -> None:
    before = set(dev_stack.connections())
    open_page(page, dev_stack)
    [connection] = set(dev_stack.connections()) - before
    run_id = page.text_content("#run-id")
    page.click("#generate")
    page.wait_for_function(
        "(document.querySelector('[data-testid=streaming]')?.textContent ?? '').length > 40"
    )

    # WHEN the server kills the socket mid-stream and no token can be had until the run is over
    held = Held(page)
    dev_stack.kill(connection)
    page.wait_for_selector("text=Connection: connecting", timeout=10_000)
    wait_until(page, lambda: held.waiting, "the page to ask for a fresh token")
    wait_until(page, lambda: run_state(dev_stack, run_id) == "completed", "the run to complete")
    assert page.query_selector("[data-testid=output]") is None
    held.release()

    # THEN it reconnects with a fresh token and the kept result replays: the whole text, once.
    # (Tokens published while it was away are not kept: the tokens topic has no history.)
    page.wait_for_selector("[data-testid=output]", timeout=15_000)
    assert page.text_content("[data-testid=output]") == local_answer(PROMPT)
    results = [d for t, d in data_messages(page) if t == "result"]
    assert len(results) == 1
    assert page.errors == []


def run_state(stack: DevStack, run_id: str | None) -> str | None:
    """The state of the run started by the app/prompt.submitted event carrying ``run_id``."""
    for event in stack.api("GET", "/v1/events", params={"limit": 100})["data"]:
        if event["name"] == "app/prompt.submitted" and event["data"].get("runId") == run_id:
            runs = stack.api("GET", f"/v1/events/{event['id']}/runs")["data"]
            return str(runs[0]["state"]) if runs else None
    return None


def test_official_inngest_subscribe_in_node_receives_what_the_page_shows(
    dev_stack: DevStack, page: Any
) -> None:
    # GIVEN Inngest's own inngest/realtime subscribe (Node, its own getSubscriptionToken against
    # the stack's token endpoint) and our page, on one run's channel
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "inngest").is_dir():
        pytest.fail("node and the npm packages are needed: run `make node-deps`")
    run_id = str(uuid.uuid4())
    channel = f"ai:{run_id}"
    official = subprocess.Popen(
        [node, str(NODE_SCRIPT), dev_stack.url, channel, "status,tokens,result"],
        cwd=ROOT,
        env={**os.environ, "APP_ID": APP_ID, "INNGEST_SIGNING_KEY": dev_stack.signing_key},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert official.stdout is not None
        first = official.stdout.readline()
        assert json.loads(first or "{}") == {"ready": True}, official.stderr.read()  # type: ignore[union-attr]
        open_page(page, dev_stack, f"?runId={run_id}")

        # WHEN the run streams
        page.click("#generate")
        page.wait_for_selector("[data-testid=output]", timeout=30_000)
        out, err = official.communicate(timeout=30)
    finally:
        if official.poll() is None:
            official.kill()
            official.communicate()

    # THEN the official client got the very data messages the page rendered, in order
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    seen = [(m["topic"], m["data"]) for m in lines if m.get("kind") == "data"]
    assert seen == data_messages(page), err
    assert all(m["channel"] == channel for m in lines if m.get("kind") == "data")
