"""Lambda counts a chain's invocations per function. GIVEN an executor chain already past 16
hops (the executor allows its own loop) WHEN one of its invocations publishes to a wide channel
THEN the fan-out function is invoked for it (its own count starts at one); GIVEN a fan-out
function that sent its message back to its own queue THEN the poller stops that loop after 16
invocations, as Lambda's recursive loop detection would (FanoutFunction keeps the default
RecursiveLoop: Terminate)."""

from __future__ import annotations

import time
from typing import Any

from stepstream import _aws
from stepstream.local import Provisioned
from stepstream.local._poller import SqsPoller
from stepstream.local._recursion import MAX_CHAIN, invoking, next_invocation


def _send(queue_url: str, body: str) -> None:
    _aws.client("sqs").send_message(
        QueueUrl=queue_url,
        MessageBody=body,
        MessageGroupId="g",
        MessageDeduplicationId=f"{body}-{time.monotonic_ns()}",
    )


def _wait(done: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_long_executor_chain_still_reaches_the_fanout_function(aws: Provisioned) -> None:
    queue = aws.queues["FanoutQueue"]
    seen: list[str] = []
    poller = SqsPoller(
        lambda event, _: seen.extend(r["body"] for r in event["Records"]),
        queue,
        wait_seconds=1,
        allow_recursion=False,
        function_name="FanoutFunction",
    )
    # GIVEN the 30th executor invocation of one chain
    lineage = None
    for _ in range(30):
        lineage = next_invocation(lineage, "ExecutorFunction")
    assert lineage is not None
    assert lineage.count_of("ExecutorFunction") == 30
    with invoking(lineage):
        _send(queue, "publish")  # WHEN it hands a frame to the fan-out queue
    poller.start()
    try:
        _wait(lambda: seen)
    finally:
        poller.stop()
    assert seen == ["publish"]  # THEN the fan-out function ran
    assert poller.stopped_chains == 0


def test_a_fanout_loop_is_stopped_after_16_invocations(aws: Provisioned) -> None:
    queue = aws.queues["FanoutQueue"]

    def loop(event: dict[str, Any], _: Any) -> None:
        _send(queue, "again")  # the message goes back to the queue that invoked it

    poller = SqsPoller(
        loop, queue, wait_seconds=1, allow_recursion=False, function_name="FanoutFunction"
    )
    _send(queue, "start")
    poller.start()
    try:
        _wait(lambda: poller.stopped_chains > 0)
    finally:
        poller.stop()
    assert poller.stopped_chains == 1
    assert poller.invocations == MAX_CHAIN
