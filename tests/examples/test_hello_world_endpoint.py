"""GIVEN the local stack with the hello-world route (seed 001's ``POST`` handler) next to the
HTTP API, the WebSocket gateway and the executor, on a real port WHEN a client POSTs to
``/api/hello-world`` THEN it gets a ``text/event-stream`` carrying the run's "Hello, world!"
from ``logs``, and the stream ends when the run completes. Malformed bodies are refused with a
message saying what to send."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stepstream import Stepstream
from stepstream.local import LocalStack, Provisioned, StackOptions
from tests.support.aws import TEMPLATE, MotoEndpoint


@pytest.fixture
def base_url(aws: Provisioned, moto_endpoint: MotoEndpoint, app: Stepstream) -> Iterator[str]:
    """The local stack on this test's resources: the HTTP API with the template's routes
    (``STEPSTREAM_ROUTES``), the WebSocket gateway and the executor's SQS poller."""
    options = StackOptions(
        template=TEMPLATE,
        aws_endpoint=moto_endpoint.url,
        provisioned=aws,
        dashboard=False,
        schedules=False,
    )
    with LocalStack(options) as stack:
        yield stack.url


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    events = []
    for block in response.text.split("\n\n"):
        if block.startswith("data: "):
            events.append(json.loads(block.removeprefix("data: ")))
    return events


def test_post_streams_the_runs_logs_as_sse(base_url: str) -> None:
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
