"""Drive an app's runs through the real queue: an SQS poller invokes the executor handler shape
(Powertools batch processing) exactly as the Lambda event source mapping would."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from stepstream import RunView, Stepstream
from stepstream.local._poller import SqsPoller
from stepstream.local._provision import Provisioned

TERMINAL = {"completed", "failed", "cancelled"}


def executor_handler(app: Stepstream) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The same adapter as functions/executor.py, bound to a test's app."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        processor = BatchProcessor(event_type=EventType.SQS)

        def record_handler(record: SQSRecord) -> None:
            app.execute(json.loads(record.body), context)

        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    return handler


class Harness:
    def __init__(self, app: Stepstream, aws: Provisioned, **poller: Any) -> None:
        self.app = app
        self.queue_url = aws.environment["STEPSTREAM_QUEUE_URL"]
        self.poller = SqsPoller(executor_handler(app), self.queue_url, wait_seconds=0, **poller)

    def send(self, name: str, data: dict[str, Any] | None = None, **extra: Any) -> str:
        return self.app.send({"name": name, "data": data or {}, **extra})[0]

    def run_of(self, event_id: str, function_id: str | None = None) -> str:
        runs = [
            r
            for r in self.app.runs.for_event(event_id)
            if function_id is None or r.function_id == function_id
        ]
        assert len(runs) == 1, f"expected one run for {event_id}, got {runs}"
        return runs[0].run_id

    def drive(
        self,
        until: Callable[[], bool],
        timeout: float = 20.0,
        *,
        between: Callable[[], None] | None = None,
    ) -> None:
        """Poll the queue until ``until()`` holds; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not until():
            assert time.monotonic() < deadline, "timed out driving the queue"
            got = self.poller.poll_once(wait_seconds=0)
            if between is not None:
                between()
            if not got:
                time.sleep(0.05)

    def finish(self, run_id: str, timeout: float = 20.0) -> RunView:
        """Drive until the run is terminal and return it."""
        self.drive(lambda: self.status(run_id) in TERMINAL, timeout)
        view = self.app.runs.get(run_id)
        assert view is not None
        return view

    def status(self, run_id: str) -> str | None:
        view = self.app.runs.get(run_id)
        return view.status if view else None

    def settle(self, run_id: str, status: str, timeout: float = 20.0) -> RunView:
        """Drive until the run reaches ``status``."""
        self.drive(lambda: self.status(run_id) == status, timeout)
        view = self.app.runs.get(run_id)
        assert view is not None
        return view
