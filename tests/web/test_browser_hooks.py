"""In headless Chromium, a vite-built page runs stepstream's ``useRealtime`` and the official
``inngest/react`` ``useRealtime`` side by side against the local gateway: both receive the same
tokens, the same run status and the same result. After a server-side kill, ours still has every
message (it resumes by seq)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from .conftest import Stack

pytestmark = pytest.mark.e2e


def _text(page: Any, panel: str) -> str:
    text: str = page.inner_text(f"#{panel} .text")
    return text


def test_our_hook_and_inngests_hook_see_the_same_stream(
    stack: Stack, chromium: Any, web_build: Path
) -> None:
    # GIVEN the built page with both hooks on a fresh channel
    assert (web_build / "pages" / "hooks.html").is_file()
    channel = f"ai:hooks-{uuid.uuid4().hex[:8]}"
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(
        f"{stack.control}/web/dist/pages/hooks.html?gateway={stack.gateway}&channel={channel}"
    )
    page.wait_for_selector("#ours[data-status=open]", timeout=10_000)
    page.wait_for_selector("#theirs[data-status=open]", timeout=10_000)

    # WHEN tokens stream and the run completes
    for token in ["Once ", "upon ", "a time"]:
        stack.publish(channel, "tokens", {"token": token})
    for panel in ["theirs", "ours"]:
        page.wait_for_function(
            f"document.querySelector('#{panel} .text').textContent === 'Once upon a time'"
        )
    stack.call(
        "POST",
        "/run-status",
        {"channel": channel, "run_id": "r1", "status": "completed", "output": {"n": 3}},
    )

    # THEN both hooks report the same run status and result, and close (autoCloseOnTerminal)
    for panel in ["ours", "theirs"]:
        page.wait_for_selector(f"#{panel}[data-run=completed]", timeout=10_000)
        assert page.inner_text(f"#{panel} .result") == '{"n":3}'
        page.wait_for_selector(f"#{panel}[data-status=closed]", timeout=10_000)
    assert _text(page, "ours") == _text(page, "theirs")
    assert errors == []
    page.close()


def test_our_hook_misses_nothing_across_a_server_side_kill(
    stack: Stack, chromium: Any, web_build: Path
) -> None:
    # GIVEN the hooks page, streaming
    channel = f"ai:hooks-{uuid.uuid4().hex[:8]}"
    page = chromium.new_page()
    page.goto(
        f"{stack.control}/web/dist/pages/hooks.html?gateway={stack.gateway}&channel={channel}"
    )
    page.wait_for_selector("#ours[data-status=open]", timeout=10_000)
    page.wait_for_selector("#theirs[data-status=open]", timeout=10_000)
    stack.publish(channel, "tokens", {"token": "a"})
    page.wait_for_function("document.querySelector('#ours .text').textContent === 'a'")

    # WHEN the server kills every socket while token minting is held, and more is published
    stack.call("POST", "/tokens/hold")
    for connection_id in stack.connections():
        stack.call("DELETE", f"/connections/{connection_id}")
    page.wait_for_selector("#ours:not([data-status=open])", timeout=10_000)
    stack.publish(channel, "tokens", {"token": "b"})
    stack.call("POST", "/tokens/release")
    page.wait_for_selector("#ours[data-status=open]", timeout=10_000)
    stack.publish(channel, "tokens", {"token": "c"})

    # THEN our hook shows all three, once each
    page.wait_for_function(
        "document.querySelector('#ours .text').textContent === 'abc'", timeout=10_000
    )
    seqs = page.evaluate("window.__hooks.ours.messages.all.map((m) => m.seq)")
    assert seqs == sorted(set(seqs))
    assert len(seqs) == 3
    page.close()
