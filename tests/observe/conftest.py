"""A scripted workflow through the deployed handlers with metrics on, on DynamoDB/SQS/S3 in moto
and the local WebSocket gateway, its stdout captured as Lambda's log stream would be."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import ws_authorizer
import ws_connect
import ws_default
import ws_disconnect

from stepstream.local import (
    Gateway,
    Provisioned,
    RunningGateway,
    WebSocketHandlers,
    serve_in_thread,
)

from ._scenario import Observed, run_scenario

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture
def gateway(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningGateway]:
    handlers = WebSocketHandlers(
        authorizer=ws_authorizer.handler,
        connect=ws_connect.handler,
        disconnect=ws_disconnect.handler,
        default=ws_default.handler,
    )
    running = serve_in_thread(Gateway(handlers))
    monkeypatch.setenv("STEPSTREAM_WS_MANAGEMENT_URL", running.management_url)
    yield running
    running.stop()


@pytest.fixture
def observed(
    aws: Provisioned,
    gateway: RunningGateway,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Observed:
    return run_scenario(aws, gateway, monkeypatch, capsys)
