"""Scheduler Lambda: an EventBridge schedule ticks every minute → start the due cron runs, then
ping the WebSocket connections whose keepalive is due (docs/realtime.md, "Keepalive")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stepstream import load_app
from stepstream.realtime import sweep_keepalive


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # EventBridge's "time" is the scheduled minute; use it so a late delivery still starts the
    # runs of the minute it was meant for.
    stamp = event.get("time") if isinstance(event, dict) else None
    now = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if isinstance(stamp, str) else None
    started = load_app().tick(now)
    # After the tick: a failed sweep fails the invocation, and a retried tick starts nothing twice.
    swept = sweep_keepalive(now)
    return {"started": started, "pinged": swept.pinged, "gone": swept.gone}
