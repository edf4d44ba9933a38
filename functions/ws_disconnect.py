"""WebSocket ``$disconnect``: forget the closed connection's subscriptions."""

from __future__ import annotations

from typing import Any

from stepstream.realtime._socket import on_disconnect


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    on_disconnect(event)
    return {"statusCode": 200}
