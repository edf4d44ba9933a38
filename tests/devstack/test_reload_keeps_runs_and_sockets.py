"""GIVEN `stepstream dev` running an app, a run of it sleeping and a WebSocket subscribed to the
app's channel
WHEN the developer edits the workflow's code and saves
THEN only the app reloads ("reloaded N functions in X ms"): the sleeping run wakes into the new
code (its memoized first step keeps the old value, its later step runs the new code), the same
socket, never dropped, receives what the new code publishes, and the runs API still has the run.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import websockets

from .restart_support import AUTH, edit, printed, run_in_state, send, start, until, write_app

WAIT_SECONDS = 90
"""Generous: the stack shares a loaded machine."""


async def _frame_with(socket: Any, key: str) -> dict[str, Any]:
    """The next ``data`` frame whose payload has ``key``; anything else is skipped."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            frame = json.loads(await socket.recv())
            if frame.get("kind") == "data" and key in frame["data"]:
                return dict(frame["data"])


async def _pong(socket: Any) -> None:
    """A ping answered on this socket (run frames may come first)."""
    await socket.send(json.dumps({"kind": "ping"}))
    async with asyncio.timeout(WAIT_SECONDS):
        while json.loads(await socket.recv()).get("kind") != "pong":
            pass


async def test_edit_reloads_the_app_and_keeps_the_sleeping_run_and_the_socket(
    tmp_path: Path,
) -> None:
    source = write_app(tmp_path)
    stack = start(tmp_path)
    try:
        async with httpx.AsyncClient(base_url=stack.url) as http:
            token = await http.post(
                "/v1/realtime/token",
                json=[{"channel": "restart-updates", "name": "progress"}],
                headers=AUTH,
            )
        assert token.status_code == 201, token.text
        ws_url = "ws" + stack.url.removeprefix("http") + "/v1/realtime/connect"
        async with websockets.connect(f"{ws_url}?token={token.json()['jwt']}") as socket:
            event_id = await asyncio.to_thread(send, stack, "test/nap", {"sleep": "10s"})
            before = await _frame_with(socket, "before")
            assert before["before"] == "v1"
            await asyncio.to_thread(run_in_state, stack, event_id, "sleeping")

            mark = len(stack.lines)
            edit(source, ('VERSION = "v1"', 'VERSION = "v2"'))
            reloaded = await asyncio.to_thread(
                until, "the reload", lambda: printed(stack, "reloaded", mark), stack
            )
            assert "reloaded 2 functions in" in reloaded, reloaded
            assert printed(stack, "reload failed", mark) is None, stack.output

            after = await _frame_with(socket, "after")
            assert after == {"run_id": before["run_id"], "after": "v2"}
            await _pong(socket)
            assert socket.close_code is None

        run = await asyncio.to_thread(run_in_state, stack, event_id, "completed", "failed")
        assert run["output"] == {"first": "v1", "second": "v2"}, run
        assert run["run_id"] == before["run_id"]
    finally:
        stack.kill()
    assert "Traceback" not in stack.output
