"""WebSocket ``$connect``: record the subscription the authorizer granted."""

from __future__ import annotations

from typing import Any

from stepstream.realtime._socket import on_connect


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return on_connect(event)
