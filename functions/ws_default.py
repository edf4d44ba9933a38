"""WebSocket ``$default``: one client frame (``sub``, ``unsub``, ``ping``, or an error reply)."""

from __future__ import annotations

from typing import Any

from stepstream.realtime._socket import on_message


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return on_message(event)
