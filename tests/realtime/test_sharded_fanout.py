"""GIVEN a channel past the sharding threshold WHEN frames are published THEN they travel as SQS
FIFO messages (moto) to the real fan-out handler (functions/fanout.py's factory), run by a
poller as Lambda's event source mapping would, several invocations at once, and reach the local
gateway's real sockets: each subscriber exactly once per frame, in publish order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack

import pytest

from stepstream.handlers import fanout_handler
from stepstream.local import Provisioned, RunningGateway
from stepstream.local._poller import SqsPoller
from stepstream.realtime import Realtime, channel, topic
from stepstream.realtime._fanout import Sharding
from stepstream.realtime._shards import shard_count, shard_of
from stepstream.store import ConnectionStore
from stepstream.store._fanout_queue import FanoutQueue

from ._clients import nothing_more, receive, subscriber

wide = channel(lambda room: f"wide:{room}").add_topic(topic("tokens").type(int))
wide = wide.add_topic(topic("other").type(int))
SUBSCRIBERS = 24
SHARD_SIZE = 4  # 24 subscribers -> 8 shards


@pytest.fixture
def fanout_poller(aws: Provisioned) -> Iterator[SqsPoller]:
    poller = SqsPoller(
        fanout_handler(),
        aws.queues["FanoutQueue"],
        batch_size=10,
        wait_seconds=1,
        max_concurrency=4,
        function_name="FanoutFunction",
    )
    poller.start()
    yield poller
    poller.stop()


def _sharded(aws: Provisioned, threshold: int = 2) -> Realtime:
    queue = FanoutQueue(aws.queues["FanoutQueue"])
    sharding = Sharding(queue, threshold=threshold, shard_size=SHARD_SIZE)
    return Realtime("publish-tests", cache_seconds=0, sharding=sharding)


async def test_every_subscriber_gets_each_frame_once_in_order(
    aws: Provisioned, gateway: RunningGateway, fanout_poller: SqsPoller
) -> None:
    realtime = _sharded(aws)
    ref = wide("a").tokens
    async with AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(subscriber(gateway, ref.channel, ["tokens"]))
            for _ in range(SUBSCRIBERS)
        ]
        subscribed = _subscribed(ConnectionStore(), ref.channel)
        # WHEN two bursts are published back to back (consecutive publishes to the same shards)
        sent = [await realtime.publish(ref, i) for i in range(15)]
        realtime.flush_sync()
        sent += [await realtime.publish(ref, i) for i in range(15, 30)]
        realtime.flush_sync()
        # THEN every socket gets all 30, in order, and nothing else
        got = await asyncio.gather(*(receive(ws, len(sent)) for ws in sockets))
        for frames in got:
            assert [f["data"] for f in frames] == list(range(30))
            assert [f["id"] for f in frames] == [f["id"] for f in sent]
        for ws in sockets:
            assert await nothing_more(ws)
    realtime.close()
    # posted by the fan-out function, not by this process: one message per shard per frame
    shards = shard_count(SUBSCRIBERS, SHARD_SIZE)
    # Connection ids are random, so a shard can be empty; an empty shard gets no message.
    used = {shard_of(connection_id, shards) for connection_id in subscribed}
    assert len(subscribed) == SUBSCRIBERS
    assert realtime._fanout.shard_messages == 30 * len(used)
    assert fanout_poller.invocations >= shards
    assert fanout_poller.crashes == 0


async def test_topics_are_filtered_in_the_shard(
    aws: Provisioned, gateway: RunningGateway, fanout_poller: SqsPoller
) -> None:
    realtime = _sharded(aws)
    ch = wide("b")
    async with (
        subscriber(gateway, ch.tokens.channel, ["tokens"]) as tokens_only,
        subscriber(gateway, ch.tokens.channel, ["other"]) as other_only,
    ):
        first = await realtime.publish(ch.tokens, 1)
        second = await realtime.publish(ch.other, 2)
        realtime.flush_sync()
        assert await receive(tokens_only, 1) == [first]
        assert await receive(other_only, 1) == [second]
        assert await nothing_more(tokens_only)
        assert await nothing_more(other_only)
    realtime.close()


async def test_a_gone_connection_is_removed_by_its_shard(
    aws: Provisioned, gateway: RunningGateway, fanout_poller: SqsPoller
) -> None:
    # GIVEN a subscription whose socket is gone ($disconnect never ran) next to a live one
    store = ConnectionStore()
    ref = wide("c").tokens
    store.add("ghost-connection-id", ref.channel, ["tokens"], expires_at=2**31)
    realtime = _sharded(aws)
    async with subscriber(gateway, ref.channel, ["tokens"]) as ws:
        frame = await realtime.publish(ref, 7)
        realtime.flush_sync()
        # THEN the live socket gets it, and the ghost's shard forgot the ghost (410 Gone)
        assert await receive(ws, 1) == [frame]
        for _ in range(100):
            if "ghost-connection-id" not in _subscribed(store, ref.channel):
                break
            await asyncio.sleep(0.1)
    realtime.close()
    assert "ghost-connection-id" not in _subscribed(store, ref.channel)
    assert store.channels_of("ghost-connection-id") == []


def test_shards_partition_every_connection_id() -> None:
    ids = [f"{a}{b}xyz" for a in "+/-_=09AZaz~!" for b in "+/-_=09AZaz~!"] + ["", "A", "z"]
    for shards in (1, 2, 8, 64, 1024):
        for connection_id in ids:
            assert 0 <= shard_of(connection_id, shards) < shards
    # a channel that doubles its shards splits each in two
    for connection_id in ids:
        assert shard_of(connection_id, 16) % 8 == shard_of(connection_id, 8)


def _subscribed(store: ConnectionStore, name: str) -> set[str]:
    return {s.connection_id for s in store.subscribers(name)}
