"""GIVEN the executor Lambda handler (functions/executor.py) and the demo app in functions/app
WHEN SQS delivers run messages in Lambda's event shape THEN the runs execute, and a record that
fails is reported in batchItemFailures so SQS redelivers only that one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from stepstream.local import LambdaContext, Provisioned, SqsPoller


@pytest.fixture(autouse=True)
def demo_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point load_app at functions/app, and leave its cache clean for other tests."""
    from stepstream import load_app

    monkeypatch.setenv("STEPSTREAM_APP", "app:app")
    load_app.cache_clear()
    yield
    load_app.cache_clear()


def sqs_event(*bodies: Any) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q",
                "awsRegion": "us-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


def test_demo_app_runs_through_the_lambda_handler(aws: Provisioned) -> None:
    import executor  # functions/executor.py

    from stepstream import load_app

    app = load_app()
    [event_id] = app.send({"name": "app/hello", "data": {"name": "Lambda"}})
    run_id = app.runs.for_event(event_id)[0].run_id
    poller = SqsPoller(executor.handler, aws.environment["STEPSTREAM_QUEUE_URL"], wait_seconds=0)

    for _ in range(200):
        view = app.runs.get(run_id)
        if view is not None and view.status == "completed":
            break
        if not poller.poll_once(wait_seconds=1):
            continue
    view = app.runs.get(run_id)
    assert view is not None
    assert view.status == "completed"
    assert view.output == {"greeting": "Hello, Lambda!"}


def test_a_failing_record_is_reported_and_the_others_succeed(aws: Provisioned) -> None:
    import executor

    response = executor.handler(
        sqs_event({"run_id": "unknown-run"}, "{not json", {"no": "run id"}), LambdaContext()
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
