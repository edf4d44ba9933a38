"""GIVEN a running dev stack, with a WebSocket open and the poller busy polling
WHEN the user presses Ctrl-C (SIGINT)
THEN everything stops promptly, exit code 0, no traceback."""

from __future__ import annotations

import time

import httpx

from stepstream.config import DEV_EVENT_KEY
from tests.support.devprocess import DevProcess


def test_sigint_exits_zero_promptly_without_traceback() -> None:
    stack = DevProcess()
    try:
        url = stack.wait_ready()
        httpx.post(f"{url}/e/{DEV_EVENT_KEY}", json={"name": "devstack/before-stop"})
        began = time.monotonic()
        code = stack.interrupt(timeout=20)
        took = time.monotonic() - began
    finally:
        stack.kill()
    assert code == 0, stack.output
    assert took < 15, f"stopping took {took:.1f} s"
    assert "Traceback" not in stack.output
    assert stack.lines[-1] == "stopped"


def test_sigterm_also_stops_cleanly() -> None:
    import signal

    stack = DevProcess()
    try:
        stack.wait_ready()
        stack.proc.send_signal(signal.SIGTERM)
        code = stack.wait_exit(timeout=20)
    finally:
        stack.kill()
    assert code == 0, stack.output
    assert "Traceback" not in stack.output
