"""GIVEN the local SQS poller WHEN a handler reports a record in batchItemFailures or crashes
THEN that message comes back after its visibility timeout and the others are deleted, as with
Lambda's event source mapping."""

from __future__ import annotations

import json
import time
from typing import Any

from stepstream._aws import client
from stepstream.local._lambda_context import LambdaContext
from stepstream.local._poller import SqsPoller
from stepstream.local._provision import Provisioned


def test_reported_failures_and_crashes_come_back(aws: Provisioned) -> None:
    queue_url = aws.environment["STEPSTREAM_QUEUE_URL"]
    sqs = client("sqs")
    for name in ("ok", "fail-once", "crash-once"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"name": name}))
    seen: list[str] = []
    contexts: list[Any] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        contexts.append(context)
        failures = []
        for record in event["Records"]:
            assert record["eventSource"] == "aws:sqs"
            name = json.loads(record["body"])["name"]
            seen.append(name)
            if name == "crash-once" and seen.count(name) == 1:
                raise SystemError("the Lambda died")
            if name == "fail-once" and seen.count(name) == 1:
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    poller = SqsPoller(handler, queue_url, batch_size=1, wait_seconds=0, visibility_timeout=1)
    deadline = time.monotonic() + 20
    while sorted(set(seen)) != ["crash-once", "fail-once", "ok"] or len(seen) < 5:
        assert time.monotonic() < deadline, seen
        if not poller.poll_once(wait_seconds=1):
            time.sleep(0.1)

    assert seen.count("ok") == 1
    assert seen.count("fail-once") == 2
    assert seen.count("crash-once") == 2
    assert poller.crashes == 1
    time.sleep(1.1)  # past the visibility timeout: anything not deleted would be back now
    assert poller.poll_once(wait_seconds=1) == 0
    assert isinstance(contexts[0], LambdaContext)
    assert 0 < contexts[0].get_remaining_time_in_millis() <= 120_000
