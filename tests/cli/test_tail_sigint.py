"""GIVEN `stepstream tail` following a channel, or still waiting for its token from a stack
that does not answer
WHEN the user presses Ctrl-C (SIGINT)
THEN it exits 0 (Ctrl-C is how tail ends) within a couple of seconds: no close handshake or
worker thread holds the process."""

from __future__ import annotations

import socket
import time

from tests.support.devprocess import DevProcess

from .cli_support import TailProcess

EXIT_WITHIN_SECONDS = 3.0


def interrupt(tail: TailProcess) -> tuple[int, float]:
    """Send one SIGINT (``stop``) and time the exit."""
    started = time.monotonic()
    code = tail.stop()
    return code, time.monotonic() - started


def test_ctrl_c_while_following_exits_at_once(stack: DevProcess) -> None:
    tail = TailProcess("sigint-channel", "--topics", "progress", "--url", stack.url)
    try:
        tail.expect(tail.err, "following sigint-channel")
    finally:
        code, took = interrupt(tail)
    assert code == 0
    assert took < EXIT_WITHIN_SECONDS, f"tail took {took:.1f} s to exit after SIGINT"


def test_ctrl_c_while_the_token_request_hangs_exits_at_once() -> None:
    # A listener that accepts connections and never answers: the token request hangs.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        tail = TailProcess("ch", "--topics", "t", "--url", url)
        try:
            silent.settimeout(30)
            accepted, _ = silent.accept()  # tail is now waiting for its token
        finally:
            code, took = interrupt(tail)
        accepted.close()
    assert code == 0
    assert took < EXIT_WITHIN_SECONDS, f"tail took {took:.1f} s to exit after SIGINT"
