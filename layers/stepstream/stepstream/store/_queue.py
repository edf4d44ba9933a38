"""The executor queue in SQS."""

from __future__ import annotations

import json
from typing import Any

from .. import _tracing
from .._aws import client
from .._config import Settings
from ._base import Queue

MAX_DELAY_SECONDS = 900
"""SQS's largest DelaySeconds."""


class SqsQueue(Queue):
    def __init__(self, settings: Settings | None = None) -> None:
        self._url = (settings or Settings.from_env()).queue_url

    def send(self, body: dict[str, Any], delay_seconds: int = 0) -> None:
        if not self._url:
            raise RuntimeError("STEPSTREAM_QUEUE_URL is not set; point it at the executor queue")
        delay = max(0, min(MAX_DELAY_SECONDS, int(delay_seconds)))
        extra: dict[str, Any] = {}
        header = _tracing.sqs_trace_header()
        if header is not None:  # links the invocation this message starts to this trace
            extra["MessageSystemAttributes"] = {
                "AWSTraceHeader": {"DataType": "String", "StringValue": header}
            }
        client("sqs").send_message(
            QueueUrl=self._url, MessageBody=json.dumps(body), DelaySeconds=delay, **extra
        )
