"""GIVEN ``python -m stepstream.local.embedded_moto`` (the stack's moto in its own process, as
the benchmarks run it)
WHEN it is started with a port, then sent SIGTERM
THEN it prints its endpoint, serves AWS with the stack's fixes (a FIFO group unblocks at the
delete, within the long poll waiting on it) and exits 0; a bad or busy port exits non-zero with
a message."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from typing import Any

import pytest

from tests.devstack._sqs_support import fifo_queue, sqs_client

MODULE = [sys.executable, "-m", "stepstream.local.embedded_moto"]


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*MODULE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_it_serves_the_patched_sqs_and_stops_on_sigterm() -> None:
    server = _start("-p", "0")
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        sqs: Any = sqs_client(url)
        _, queue = fifo_queue(sqs)
        for body in ("first", "second"):
            sqs.send_message(QueueUrl=queue, MessageBody=body, MessageGroupId="g")
        first = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=30)["Messages"][0]
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"])
        second = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
        assert [m["Body"] for m in second] == ["second"]
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
    finally:
        server.kill()
        server.communicate()


@pytest.mark.parametrize("port", ["x", "-1", "70000"])
def test_a_bad_port_is_refused_with_usage(port: str) -> None:
    result = subprocess.run(
        [*MODULE, "--port", port], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "argument -p/--port" in result.stderr


def test_a_busy_port_exits_1_naming_it() -> None:
    """moto's server goes by werkzeug's ``make_server``, which says so and exits 1."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*MODULE, "-p", str(port)], capture_output=True, text=True, timeout=60, check=False
        )
    assert result.returncode == 1
    assert f"Port {port} is in use" in result.stderr  # werkzeug's message
