"""GIVEN `stepstream tail` following a channel whose topic keeps history
WHEN its socket is closed by the server (as API Gateway does at 2 h, or a killed connection)
while a run publishes
THEN tail reconnects with a fresh token and `since=<last seq>`, and prints every message exactly
once, in order: no gap, no duplicate.

This stack runs with ``STEPSTREAM_SUBSCRIBER_CACHE_SECONDS=0``. With the fan-out's default 1 s
subscriber cache the resume has a gap (found by this test, fails in ~3 of 4 runs): a frame
published after the replay released its hold, but within 1 s of the publisher's last subscriber
lookup, is matched against the cached list, which has the new connection missing or still held,
so it is neither posted live nor replayed. That is the realtime fan-out's to fix (see the
report); this test pins down the CLI's side: reconnect, fresh token, ``since``, speak first,
dedupe."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from cli_support import TailProcess, run_cli
from devprocess import DevProcess, app_env


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
    process = DevProcess(env=app_env(STEPSTREAM_SUBSCRIBER_CACHE_SECONDS="0"))
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
        tail.expect(tail.out, '"doubled":2006')
    finally:
        tail.stop()
    lines = [line for line in tail.lines_seen if line.split()[1] == "progress"]  # not run frames
    doubled = [v for line in lines for v in ("2002", "2004", "2006") if f'"doubled":{v}' in line]
    assert doubled == ["2002", "2004", "2006"], lines
