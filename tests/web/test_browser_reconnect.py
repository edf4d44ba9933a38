"""In headless Chromium, the real ``web/subscribe.js`` renders published tokens as they arrive,
and a socket killed from the server side (``DELETE /@connections/{id}``) reconnects with a
fresh token and misses nothing, even what was published while it was down."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .conftest import Stack

pytestmark = pytest.mark.e2e


def _seen(page: Any) -> dict[str, Any]:
    seen: dict[str, Any] = page.evaluate("window.__seen")
    return seen


def test_killed_socket_reconnects_with_fresh_token_and_misses_nothing(
    stack: Stack, chromium: Any
) -> None:
    # GIVEN the test page subscribed to a fresh channel
    channel = f"ai:browser-{uuid.uuid4().hex[:8]}"
    page = chromium.new_page()
    page.goto(f"{stack.control}/pages/subscribe.html?gateway={stack.gateway}&channel={channel}")
    page.wait_for_selector("body[data-status=open]", timeout=10_000)

    # WHEN tokens are published, THEN they render one by one
    for token in ["Hel", "lo"]:
        stack.publish(channel, "tokens", {"token": token})
    page.wait_for_function("document.getElementById('text').textContent === 'Hello'")

    # WHEN the server kills the socket while token minting is held, and more is published
    stack.call("POST", "/tokens/hold")
    [victim] = stack.connections()
    stack.call("DELETE", f"/connections/{victim}")
    page.wait_for_function("window.__seen.tokens === 2", timeout=10_000)
    assert page.get_attribute("body", "data-status") != "open"
    for token in [", wor", "ld"]:
        stack.publish(channel, "tokens", {"token": token})
    stack.call("POST", "/tokens/release")

    # THEN the page reconnects and shows everything, in order, once
    page.wait_for_function(
        "document.getElementById('text').textContent === 'Hello, world'", timeout=10_000
    )
    page.wait_for_selector("body[data-status=open]")
    stack.publish(channel, "tokens", {"token": "!"})
    page.wait_for_function("document.getElementById('text').textContent === 'Hello, world!'")
    seen = _seen(page)
    seqs = [m["seq"] for m in seen["messages"]]
    assert seqs == sorted(set(seqs)), f"duplicates or disorder: {seqs}"
    assert len(seqs) == 5
    assert seen["tokens"] == 2, "one fresh token per connect"
    assert seen["statuses"] == ["connecting", "open", "closed", "connecting", "open"]
    assert seen["errors"] == []
    [survivor] = stack.connections()
    assert survivor != victim
    page.close()


HIDE = """(state) => {
    Object.defineProperty(document, "visibilityState", { get: () => state, configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_hidden_tab_drops_its_socket_and_catches_up_when_shown(stack: Stack, chromium: Any) -> None:
    # GIVEN the test page streaming on a fresh channel
    channel = f"ai:hidden-{uuid.uuid4().hex[:8]}"
    page = chromium.new_page()
    page.goto(f"{stack.control}/pages/subscribe.html?gateway={stack.gateway}&channel={channel}")
    page.wait_for_selector("body[data-status=open]", timeout=10_000)
    before = set(stack.connections())
    stack.publish(channel, "tokens", {"token": "seen "})
    page.wait_for_function("document.getElementById('text').textContent === 'seen '")

    # WHEN the tab is hidden (headless Chromium is never really hidden, so the page's
    # visibilityState is overridden and the standard event dispatched)
    page.evaluate(HIDE, "hidden")
    page.wait_for_selector("body[data-status=paused]")

    # THEN its socket is gone from the gateway, and what is published meanwhile is not lost
    deadline = 50
    while set(stack.connections()) & before and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert not set(stack.connections()) & before, "the hidden tab still holds its socket"
    stack.publish(channel, "tokens", {"token": "while hidden"})
    page.evaluate(HIDE, "visible")
    page.wait_for_function(
        "document.getElementById('text').textContent === 'seen while hidden'", timeout=10_000
    )
    seen = _seen(page)
    assert seen["statuses"] == ["connecting", "open", "paused", "connecting", "open"]
    assert seen["tokens"] == 2
    page.close()
