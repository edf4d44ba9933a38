"""Executor Lambda: one SQS record per run message → ``app.execute``. Partial batch failures are
reported so only failed messages come back."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from stepstream import load_app


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    app = load_app()
    processor = BatchProcessor(event_type=EventType.SQS)  # holds per-batch state: one per call

    def record_handler(record: SQSRecord) -> None:
        app.execute(json.loads(record.body), context)

    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
