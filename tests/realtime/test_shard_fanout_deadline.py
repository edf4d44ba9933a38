"""GIVEN a fan-out invocation whose posts are slow (0.6 s each, as under API Gateway throttling)
and whose Lambda timeout is 5 s WHEN its batch holds more frames than it can post in time
THEN it stops starting posts at ``STOP_AT`` of its time, returns before the timeout (no crash,
its execution environment kept) and hands back, as partial batch failures, the shard's messages
from the first one some connection did not get; SQS delivers those again and every subscriber
ends with every frame in order, the only repeats being frames of handed-back messages that
some connections had already got (docs/realtime.md, Fan-out, "Failures")."""

from __future__ import annotations

import threading
import time
from contextlib import AsyncExitStack
from typing import Any

from stepstream.local import Provisioned, RunningGateway
from stepstream.local._poller import SqsPoller
from stepstream.realtime import Realtime, channel, topic
from stepstream.realtime._fanout import Sharding
from stepstream.realtime._shard_fanout import ShardFanout, _Lane, _unfinished
from stepstream.store import ConnectionsApi, ConnectionStore
from stepstream.store._fanout_queue import FanoutQueue

from ._clients import every_id_and_repeats, subscriber

wide = channel(lambda room: f"deadline:{room}").add_topic(topic("tokens").type(int))
FRAMES = 8
SLOW_POST = 0.6


class _SlowFirstAttempt:
    """The real ``@connections`` client, slow in the first invocation only."""

    def __init__(self) -> None:
        self.api = ConnectionsApi()
        self.attempt = 1
        self.posts = [0, 0, 0]  # by attempt
        self.lock = threading.Lock()

    def post(self, connection_id: str, data: bytes) -> bool:
        with self.lock:
            attempt = self.attempt
            self.posts[min(attempt, 2)] += 1
        if attempt == 1:
            time.sleep(SLOW_POST)
        return self.api.post(connection_id, data)


async def test_a_fanout_short_of_time_hands_back_the_rest_of_its_shard(
    aws: Provisioned, gateway: RunningGateway
) -> None:
    poster = _SlowFirstAttempt()
    fanout = ShardFanout(ConnectionStore(), lambda: poster, concurrency=8)
    answers: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            answer = fanout.handle(event["Records"], context.get_remaining_time_in_millis)
            answers.append(answer.response())
            return answer.response()
        finally:
            with poster.lock:
                poster.attempt += 1

    poller = SqsPoller(
        handler,
        aws.queues["FanoutQueue"],
        batch_size=10,
        wait_seconds=1,
        visibility_timeout=1,  # handed-back messages come back within a second
        # posts start until 4 s (7 of 8 per connection); the last in flight ends by ~4.2 s
        timeout_ms=5000,
        function_name="FanoutFunction",
    )
    queue = FanoutQueue(aws.queues["FanoutQueue"])
    realtime = Realtime("publish-tests", cache_seconds=0, sharding=Sharding(queue, 1, 100))
    ref = wide("a").tokens
    async with AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(subscriber(gateway, ref.channel, ["tokens"]))
            for _ in range(3)
        ]
        sent = [await realtime.publish(ref, i) for i in range(FRAMES)]
        realtime.flush_sync()  # every frame in one batch of the one shard
        poller.start()
        try:
            got = await every_id_and_repeats(sockets, len(sent))
        finally:
            poller.stop()
    realtime.close()

    assert poller.timeouts == 0  # it answered in time
    assert poller.crashes == 0
    first = [f["itemIdentifier"] for f in answers[0]["batchItemFailures"]]
    assert 0 < len(first) < FRAMES  # some handed back, not all: the first post of each went
    duplicates = 0
    for frames in got:
        unique = list({f["id"]: f for f in frames}.values())
        assert [f["data"] for f in unique] == list(range(FRAMES))  # in order once deduplicated
        duplicates += len(frames) - len(unique)
    # Each connection got at most the handed-back messages twice, never an acknowledged one.
    assert duplicates <= len(first) * len(sockets)
    assert poster.posts[1] + poster.posts[2] == len(sockets) * FRAMES + duplicates


def test_only_the_unfinished_groups_are_handed_back_from_their_first_unposted_message() -> None:
    # Two shards (FIFO groups) interleaved in one batch; a refused message in the middle.
    groups = [("a1", "A"), ("b1", "B"), None, ("a2", "A"), ("b2", "B"), ("a3", "A")]
    done_with_a = _Lane(frames=[b"", b"", b""], records=[0, 3, 5], handled=3)
    behind_on_b = _Lane(frames=[b"", b""], records=[1, 4], handled=1)
    assert _unfinished(groups, [done_with_a, behind_on_b]) == ["b2"]
    behind_on_a = _Lane(frames=[b"", b"", b""], records=[0, 3, 5], handled=1)
    assert _unfinished(groups, [behind_on_a, behind_on_b]) == ["a2", "b2", "a3"]
    assert _unfinished(groups, [done_with_a]) == []
