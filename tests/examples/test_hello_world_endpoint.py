"""GIVEN the hello-world route (seed 001's ``POST`` handler) mounted next to the HTTP API and the
local WebSocket gateway, on a real port WHEN a client POSTs to ``/api/hello-world`` THEN it gets a
``text/event-stream`` carrying the run's "Hello, world!" from ``logs``, and the stream ends when
the run completes. Malformed bodies are refused with a message saying what to send."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import ws_authorizer
import ws_connect
import ws_default
import ws_disconnect
from app.routes import router
from starlette.applications import Starlette
from starlette.routing import Mount

from stepstream import Stepstream
from stepstream.http import create_api
from stepstream.local._gateway import Gateway, WebSocketHandlers, serve_in_thread
from stepstream.local._provision import Provisioned
from tests.engine.harness import Harness


@pytest.fixture
def base_url(aws: Provisioned, monkeypatch: pytest.MonkeyPatch, app: Stepstream) -> Iterator[str]:
    gateway = Gateway(
        WebSocketHandlers(
            authorizer=ws_authorizer.handler,
            connect=ws_connect.handler,
            disconnect=ws_disconnect.handler,
            default=ws_default.handler,
        )
    )
    api = create_api(app)
    api.include_router(router)
    running = serve_in_thread(gateway, asgi=Starlette(routes=[*gateway.routes, Mount("", api)]))
    monkeypatch.setenv("STEPSTREAM_WS_MANAGEMENT_URL", running.management_url)
    yield running.base_url
    running.stop()


@pytest.fixture
def executor(harness: Harness) -> Iterator[None]:
    """The executor queue drained in the background, as the dev stack's poller does."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            if not harness.poller.poll_once(wait_seconds=0):
                stop.wait(0.05)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    events = []
    for block in response.text.split("\n\n"):
        if block.startswith("data: "):
            events.append(json.loads(block.removeprefix("data: ")))
    return events


def test_post_streams_the_runs_logs_as_sse(base_url: str, executor: None) -> None:
    with httpx.Client(timeout=30) as http:
        response = http.post(f"{base_url}/api/hello-world", json={"prompt": "ignored"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    [message] = sse_events(response)
    assert message["kind"] == "data"
    assert message["topic"] == "logs"
    assert message["data"] == "Hello, world!"
    assert message["channel"].startswith("hello-world.")
    assert message["fnId"] == "hello-world"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "the body must be JSON"),
        (b"[1, 2]", 400, "must be a JSON object"),
        (b'"text"', 400, "must be a JSON object"),
        (b"{" + b'"p":"' + b"x" * 20_000 + b'"}', 413, "the limit is 16384"),
    ],
)
def test_malformed_bodies_are_refused_before_sending(
    base_url: str, app: Stepstream, body: bytes, status: int, says: str
) -> None:
    with httpx.Client(timeout=10) as http:
        response = http.post(
            f"{base_url}/api/hello-world",
            content=body,
            headers={"content-type": "application/json"},
        )

    assert response.status_code == status
    assert says in response.text
    assert app.events.recent(limit=10) == []
