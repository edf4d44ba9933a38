"""GIVEN `stepstream tail` following a channel whose topic keeps history
WHEN its socket is closed by the server (as API Gateway does at 2 h, or a killed connection)
while a run publishes
THEN tail reconnects with a fresh token and `since=<last seq>`, and prints every message exactly
once, in order: no gap, no duplicate.

It runs with the fan-out's default 1 s subscriber cache: the replay releases its hold only
after every publisher's cached subscriber list has expired, and lists holding a replaying
subscription are never reused, so the resume has no gap (docs/realtime.md, "History and
resume")."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from tests.support.devprocess import DevProcess, app_env

from .cli_support import TailProcess, run_cli


def _connection_ids(stack: DevProcess) -> set[str]:
    table = boto3.resource(
        "dynamodb",
        endpoint_url=stack.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).Table("RealtimeTable")
    items = table.scan()["Items"]
    return {
        str(item["pk"]).removeprefix("CONN#")
        for item in items
        if str(item["pk"]).startswith("CONN#") and item["sk"] == "META"
    }


@pytest.fixture(scope="module")
def stack() -> Iterator[DevProcess]:
    process = DevProcess(env=app_env())
    try:
        process.wait_ready()
        yield process
    finally:
        process.kill()


def test_tail_resumes_without_gap_or_duplicate(stack: DevProcess) -> None:
    before = _connection_ids(stack)
    tail = TailProcess("devstack-progress", "--topics", "progress", "--url", stack.url)
    try:
        tail.expect(tail.err, "following devstack-progress")
        ours = _connection_ids(stack) - before
        assert len(ours) == 1, ours
        (connection_id,) = ours

        run_cli("send", "test/echo", "--data", '{"n": 1001}', url=stack.url)
        tail.expect(tail.out, '"doubled":2002')

        # The server drops the socket, then a run publishes while tail may still be away.
        boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=stack.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).delete_connection(ConnectionId=connection_id)
        run_cli("send", "test/echo", "--data", '{"n": 1002}', url=stack.url)
        tail.expect(tail.err, "reconnected")
        run_cli("send", "test/echo", "--data", '{"n": 1003}', url=stack.url)
        tail.expect(tail.out, ',"doubled":2006')  # the progress frame, not the run's output
    finally:
        tail.stop()
    lines = [line for line in tail.lines_seen if line.split()[1] == "progress"]  # not run frames
    doubled = [v for line in lines for v in ("2002", "2004", "2006") if f'"doubled":{v}' in line]
    assert doubled == ["2002", "2004", "2006"], tail.lines_seen
