"""The local API Gateway WebSocket emulator (the socket engineer's), serving the real
``functions/ws_*.py`` handlers, for the publish tests that need real sockets."""

from __future__ import annotations

from collections.abc import Iterator

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
from stepstream.realtime import Realtime


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
def realtime(gateway: RunningGateway) -> Iterator[Realtime]:
    rt = Realtime("publish-tests", cache_seconds=0)
    yield rt
    rt.close()
