"""GIVEN the executor handler of stepstream.handlers (what functions/executor.py deploys)
WHEN it handles SQS records whose runs log through the library's ``stepstream.*`` loggers
THEN every such line is a Powertools JSON line carrying the Lambda context and the run id and
message kind of the record being handled, and a record's keys are gone once it is done."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from stepstream import Stepstream
from stepstream.handlers import LIBRARY_LOGGER, executor_handler, handler_logger
from stepstream.local import LambdaContext


class JsonLines(logging.Handler):
    """Formats each record as the handlers' logger would print it, at the moment it is logged
    (the run's keys live in the logging call's context)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(handler_logger().registered_formatter)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


class LoggingApp(Stepstream):
    """An app whose ``execute`` logs the way the engine does."""

    def execute(self, message: dict[str, Any], lambda_context: Any) -> None:
        logging.getLogger("stepstream.executor").info("handling %s", message["run_id"])


@pytest.fixture
def lines() -> Iterator[list[dict[str, Any]]]:
    capture = JsonLines()
    library = logging.getLogger(LIBRARY_LOGGER)
    library.addHandler(capture)
    try:
        yield capture.lines
    finally:
        library.removeHandler(capture)


def record(message_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": message_id,
        "body": json.dumps(body),
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q",
        "awsRegion": "us-east-1",
    }


def test_library_lines_carry_the_lambda_context_and_the_record_run(
    lines: list[dict[str, Any]],
) -> None:
    handler = executor_handler(LoggingApp("logging-tests"))
    event = {
        "Records": [
            record("m1", {"run_id": "run-1", "kind": "timer"}),
            record("m2", {"run_id": "run-2"}),
        ]
    }

    response = handler(event, LambdaContext(function_name="executor-fn"))

    assert response == {"batchItemFailures": []}
    handled = [line for line in lines if str(line["message"]).startswith("handling")]
    assert [line["message"] for line in handled] == ["handling run-1", "handling run-2"]
    first, second = handled
    assert first["level"] == "INFO"  # the runtime's root logger would have dropped it
    assert first["function_name"] == "executor-fn"
    assert first["run_id"] == "run-1"
    assert first["message_kind"] == "timer"
    assert second["run_id"] == "run-2"
    assert "message_kind" not in second  # the first record's keys went with it


def test_no_run_keys_outlive_the_batch(lines: list[dict[str, Any]]) -> None:
    handler = executor_handler(LoggingApp("logging-tests"))
    handler({"Records": [record("m1", {"run_id": "run-9"})]}, LambdaContext())

    logging.getLogger("stepstream.executor").warning("after the batch")

    assert "run_id" not in lines[-1]
