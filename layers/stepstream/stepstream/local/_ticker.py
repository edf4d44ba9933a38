"""The dev stack's stand-in for an EventBridge ``rate(1 minute)`` schedule: each scheduled
handler is called at the start of every minute with the event EventBridge sends."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("stepstream.dev")


class MinuteTicker:
    """Calls each schedule's handler at the start of every minute with EventBridge's scheduled
    event, as ``rate(1 minute)`` does on AWS."""

    def __init__(self, handlers: list[tuple[str, Callable[[Any, Any], Any]]]) -> None:
        self.handlers = handlers
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduler-tick", daemon=True)

    def start(self) -> None:
        if self.handlers:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        from ._lambda_context import LambdaContext

        while not self._stop.wait(60 - time.time() % 60):
            minute = datetime.now(UTC).replace(second=0, microsecond=0)
            for logical_id, handler in self.handlers:
                try:
                    handler(scheduled_event(minute, logical_id), LambdaContext(timeout_ms=30_000))
                except Exception:
                    log.exception("scheduled handler %s failed", logical_id)


def scheduled_event(minute: datetime, rule: str) -> dict[str, Any]:
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": minute.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:000000000000:rule/{rule}"],
        "detail": {},
    }
