"""GIVEN the local stack (gateway and executor) and ``functions/run_stream.sh`` started the way the
Lambda Web Adapter starts it (``PORT`` set, its own process, ready once ``GET /health`` answers)
WHEN a client POSTs ``/api/hello-world`` THEN the response has begun before the run was even
created, and the run's message arrives as an SSE event before the stream ends: the app served as
the adapter serves it streams, rather than answering when the run is over as it does behind
Mangum. That the adapter and a ``RESPONSE_STREAM`` Function URL pass the chunks on as they come
only AWS can show; tests/template checks their configuration."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stepstream import Stepstream
from stepstream.local import LocalStack, Provisioned, StackOptions
from tests.support.aws import TEMPLATE, MotoEndpoint

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
LAYER = ROOT / "layers" / "stepstream"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def stack(aws: Provisioned, moto_endpoint: MotoEndpoint, app: Stepstream) -> Iterator[LocalStack]:
    """The gateway and the executor's poller on this test's resources (no HTTP API: the
    streaming function is the server under test)."""
    options = StackOptions(
        template=TEMPLATE,
        aws_endpoint=moto_endpoint.url,
        provisioned=aws,
        dashboard=False,
        schedules=False,
        http_api=False,
    )
    with LocalStack(options) as running:
        yield running


@pytest.fixture
def stream_url(stack: LocalStack) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,  # the functions' environment, as the stack exported it
        "PORT": str(port),
        "LAMBDA_TASK_ROOT": str(FUNCTIONS),
        "PYTHONPATH": str(LAYER),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    process = subprocess.Popen(
        ["sh", str(FUNCTIONS / "run_stream.sh")],
        cwd=FUNCTIONS,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # the adapter's readiness check
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "run_stream.sh never answered /health"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr:
            process.stderr.close()


def test_the_response_streams_while_the_run_goes(stream_url: str, app: Stepstream) -> None:
    chunks: list[str] = []
    with (
        httpx.Client(timeout=30) as http,
        http.stream("POST", f"{stream_url}/api/hello-world", json={}) as response,
    ):
        began_ms = time.time() * 1000
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for chunk in response.iter_text():
            chunks.append(chunk)

    [run] = app.runs.recent(limit=5)
    assert run.function_id == "hello-world"
    assert run.status == "completed"
    # Behind Mangum the status line comes with the whole body, after the run has ended; here
    # the response had begun before the route even sent the run's event.
    assert began_ms < run.created_at <= (run.ended_at or 0)
    text = "".join(chunks)
    assert text.startswith("data: ")
    assert '"data":"Hello, world!"' in text


def test_only_the_streaming_routes_are_served(stream_url: str) -> None:
    assert httpx.post(f"{stream_url}/e/some-key", json={}).status_code == 404
    assert httpx.get(f"{stream_url}/v1/runs/x").status_code == 404
