"""GIVEN the local poller on SQS or on the in-memory queue WHEN a handler reports a record in
batchItemFailures or crashes THEN that message comes back after its visibility timeout and the
others are deleted, as with Lambda's event source mapping."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from stepstream.aws import client
from stepstream.local import LambdaContext, MessageSource, QueuePoller, SqsSource
from stepstream.store import MemoryQueue


class Clock:
    """Time the in-memory queue reads, moved by the test instead of slept through."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(params=["sqs", "memory"])
def source(
    request: pytest.FixtureRequest,
) -> tuple[MessageSource, Callable[[str], None], Callable[[float], None]]:
    """A message source, a way to send a body to it, and a way to let time pass."""
    if request.param == "sqs":
        queue_url = request.getfixturevalue("aws").environment["STEPSTREAM_QUEUE_URL"]

        def send(body: str) -> None:
            client("sqs").send_message(QueueUrl=queue_url, MessageBody=body)

        return SqsSource(queue_url), send, time.sleep
    clock = Clock()
    queue = MemoryQueue(clock=clock)

    def send_to_memory(body: str) -> None:
        queue.send_raw(body)

    return queue, send_to_memory, clock.advance


def test_reported_failures_and_crashes_come_back(
    source: tuple[MessageSource, Callable[[str], None], Callable[[float], None]],
) -> None:
    messages, send, let_pass = source
    for name in ("ok", "fail-once", "crash-once"):
        send(json.dumps({"name": name}))
    seen: list[str] = []
    contexts: list[Any] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        contexts.append(context)
        failures = []
        for record in event["Records"]:
            assert record["eventSource"] == "aws:sqs"
            assert record["eventSourceARN"].endswith(":" + messages.name)
            name = json.loads(record["body"])["name"]
            seen.append(name)
            if name == "crash-once" and seen.count(name) == 1:
                raise SystemError("the Lambda died")
            if name == "fail-once" and seen.count(name) == 1:
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    poller = QueuePoller(handler, messages, batch_size=1, wait_seconds=0, visibility_timeout=1)
    deadline = time.monotonic() + 20
    while sorted(set(seen)) != ["crash-once", "fail-once", "ok"] or len(seen) < 5:
        assert time.monotonic() < deadline, seen
        if not poller.poll_once(wait_seconds=0):
            let_pass(0.1)

    assert seen.count("ok") == 1
    assert seen.count("fail-once") == 2
    assert seen.count("crash-once") == 2
    assert poller.crashes == 1
    let_pass(1.1)  # past the visibility timeout: anything not deleted would be back now
    assert poller.poll_once(wait_seconds=0) == 0
    assert isinstance(contexts[0], LambdaContext)
    assert 0 < contexts[0].get_remaining_time_in_millis() <= 120_000
