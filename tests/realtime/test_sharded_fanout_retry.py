"""GIVEN a fan-out invocation that dies part-way through its shard (the runtime killed it after
some posts) WHEN SQS gives the batch back, as it does for a crashed invocation THEN every
subscriber gets every frame, in order once duplicates are dropped by id, and the only
duplicates are the posts made before the crash (docs/realtime.md, "Fan-out past one Lambda":
at-least-once per shard attempt)."""

from __future__ import annotations

import threading
from contextlib import AsyncExitStack
from typing import Any

from stepstream.local import Provisioned, RunningGateway
from stepstream.local._poller import SqsPoller
from stepstream.realtime import Realtime, channel, topic
from stepstream.realtime._fanout import Sharding
from stepstream.realtime._shard_fanout import ShardFanout
from stepstream.store import ConnectionsApi, ConnectionStore
from stepstream.store._fanout_queue import FanoutQueue

from ._clients import every_id_and_repeats, subscriber

wide = channel(lambda room: f"retry:{room}").add_topic(topic("tokens").type(int))
CRASH_AFTER = 5


class _InvocationDied(BaseException):
    """The runtime ended the invocation (a timeout, out of memory): nothing of it returns."""


class _DiesOnce:
    """The real ``@connections`` client, in a first invocation that dies after a few posts:
    from then on nothing of that invocation posts (its process is gone)."""

    def __init__(self) -> None:
        self.api = ConnectionsApi()
        self.attempt = 1
        self.started = 0
        self.delivered_by_first = 0
        self.delivered = 0
        self.lock = threading.Lock()

    def post(self, connection_id: str, data: bytes) -> bool:
        with self.lock:
            attempt = self.attempt
            if attempt == 1 and self.started >= CRASH_AFTER:
                raise _InvocationDied
            self.started += 1
        answer = self.api.post(connection_id, data)
        with self.lock:
            self.delivered_by_first += attempt == 1
            self.delivered += 1
        return answer

    def invocation_ended(self) -> None:
        with self.lock:
            self.attempt += 1


async def test_a_crashed_shard_is_posted_again_with_only_its_earlier_posts_twice(
    aws: Provisioned, gateway: RunningGateway
) -> None:
    poster = _DiesOnce()
    fanout = ShardFanout(ConnectionStore(), lambda: poster, concurrency=2)

    def handler(event: dict[str, Any], _: Any) -> dict[str, Any]:
        try:
            return fanout.handle(event["Records"]).response()
        finally:
            poster.invocation_ended()

    poller = SqsPoller(
        handler,
        aws.queues["FanoutQueue"],
        batch_size=10,
        wait_seconds=1,
        visibility_timeout=1,  # the crashed batch comes back within a second
        function_name="FanoutFunction",
    )
    queue = FanoutQueue(aws.queues["FanoutQueue"])
    realtime = Realtime("publish-tests", cache_seconds=0, sharding=Sharding(queue, 1, 100))
    ref = wide("a").tokens
    async with AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(subscriber(gateway, ref.channel, ["tokens"]))
            for _ in range(4)
        ]
        sent = [await realtime.publish(ref, i) for i in range(3)]
        realtime.flush_sync()  # all three in one batch of the one shard
        poller.start()
        try:
            got = await every_id_and_repeats(sockets, len(sent))
        finally:
            poller.stop()
    realtime.close()
    assert poller.crashes == 1
    duplicates = 0
    for frames in got:
        unique = list({f["id"]: f for f in frames}.values())
        assert [f["data"] for f in unique] == [0, 1, 2]  # in order once deduplicated
        duplicates += len(frames) - len(unique)
    # The first invocation's posts arrive twice: the retry posts the whole shard again. A loaded
    # machine can add more: a retry that outlives the 1 s visibility timeout is delivered once
    # more (as SQS would), and every post of that attempt is a repeat too, never a loss.
    assert poster.delivered_by_first == CRASH_AFTER
    assert duplicates >= CRASH_AFTER
    assert duplicates == poster.delivered - len(sockets) * len(sent)
