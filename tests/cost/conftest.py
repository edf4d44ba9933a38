"""The local API Gateway WebSocket emulator running the real ``functions/ws_*.py`` handlers, so
a run's realtime posts are real ``@connections`` requests to a real socket."""

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
