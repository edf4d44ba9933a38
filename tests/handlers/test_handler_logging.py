"""GIVEN the executor handler of stepstream.handlers (what functions/executor.py deploys)
WHEN it handles SQS records whose runs log through the library's ``stepstream.*`` loggers
THEN every such line is a Powertools JSON line carrying the Lambda context and the run id and
message kind of the record being handled, and a record's keys are gone once it is done."""

from __future__ import annotations

import json
import logging
import threading
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


class MeetingApp(Stepstream):
    """An app whose ``execute`` logs only once every concurrent invocation has begun."""

    def __init__(self, meeting: threading.Barrier) -> None:
        super().__init__("logging-tests")
        self.meeting = meeting

    def execute(self, message: dict[str, Any], lambda_context: Any) -> None:
        self.meeting.wait(10)
        logging.getLogger("stepstream.executor").info("handling %s", message["run_id"])


def test_concurrent_invocations_in_one_process_log_their_own_context(
    lines: list[dict[str, Any]],
) -> None:
    """As ``stepstream dev`` runs them: two functions' invocations at once, in threads of one
    process. Powertools keeps the injected keys on the shared logger; each line must still name
    the function and request of the invocation that logged it."""
    meeting = threading.Barrier(2)
    invocations = [
        threading.Thread(
            target=executor_handler(MeetingApp(meeting)),
            args=(
                {"Records": [record(f"m{n}", {"run_id": f"run-{n}"})]},
                LambdaContext(function_name=f"function-{n}"),
            ),
        )
        for n in (1, 2)
    ]
    for invocation in invocations:
        invocation.start()
    for invocation in invocations:
        invocation.join(20)

    handled = {line["run_id"]: line for line in lines if line["message"].startswith("handling")}
    assert handled["run-1"]["function_name"] == "function-1"
    assert handled["run-2"]["function_name"] == "function-2"
    assert handled["run-1"]["function_request_id"] != handled["run-2"]["function_request_id"]
