"""GIVEN the gateway and a publisher, WHEN the Python ``subscribe`` client listens, THEN it yields
the published messages in order, as SSE too, and across a dropped socket without a gap or repeat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from types import SimpleNamespace
from typing import Any, cast

import pytest

from stepstream import aws, subscribe
from stepstream.local import RunningGateway
from stepstream.realtime import (
    Message,
    Realtime,
    SubscriptionRefused,
    channel,
    encode_sse,
    topic,
)

from ._support import APP_ID, eventually

APP = SimpleNamespace(id=APP_ID)
feed = (
    channel(lambda name: f"feed:{name}")
    .add_topic(topic("tokens"))
    .add_topic(topic("log", history=True))
)


async def until_connected(
    gateway: RunningGateway, count: int = 1, exclude: frozenset[str] = frozenset()
) -> set[str]:
    for _ in range(500):
        ids = set(gateway.gateway.connection_ids()) - exclude
        if len(ids) >= count:
            return ids
        await asyncio.sleep(0.01)
    raise AssertionError("the subscriber never connected")


async def collect(messages: AsyncIterator[Any], count: int, into: list[Any]) -> None:
    async for message in messages:
        into.append(message)
        if len(into) == count:
            return


async def test_subscribe_yields_published_messages_in_order(gateway: RunningGateway) -> None:
    received: list[Message] = []
    stream = subscribe(APP, channel=feed("a"), topics=["tokens"], url=gateway.ws_url)
    consumer = asyncio.create_task(collect(stream, 50, received))
    await until_connected(gateway)
    realtime = Realtime(APP_ID, cache_seconds=0)
    try:
        for n in range(50):
            await realtime.publish(feed("a").tokens, f"token {n}", run_id="run-1")
        await realtime.flush()
        await asyncio.wait_for(consumer, 20)
    finally:
        realtime.close()
        await stream.aclose()
    assert [m.data for m in received] == [f"token {n}" for n in range(50)]
    assert all(
        m.channel == "feed:a" and m.topic == "tokens" and m.run_id == "run-1" for m in received
    )
    seqs = [m.seq for m in received if m.seq is not None]
    assert len(seqs) == len(received)
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 50


async def test_encode_sse_frames_each_message(gateway: RunningGateway) -> None:
    chunks: list[bytes] = []
    stream = cast(
        AsyncGenerator[bytes, None],
        encode_sse(subscribe(APP, channel="feed:b", topics=["tokens"], url=gateway.ws_url)),
    )
    consumer = asyncio.create_task(collect(stream, 2, chunks))
    await until_connected(gateway)
    realtime = Realtime(APP_ID, cache_seconds=0)
    try:
        await realtime.publish(feed("b").tokens, "hello")
        await realtime.publish(feed("b").tokens, {"n": 1})
        await realtime.flush()
        await asyncio.wait_for(consumer, 20)
    finally:
        realtime.close()
        await stream.aclose()
    assert all(
        c.startswith(b'data: {"kind":"data","channel":"feed:b","topic":"tokens",') for c in chunks
    )
    assert all(c.endswith(b"\n\n") and c.count(b"\n") == 2 for c in chunks)
    assert b'"data":"hello"' in chunks[0]
    assert b'"data":{"n":1}' in chunks[1]


async def test_reconnect_resumes_without_gap_or_repeat(gateway: RunningGateway) -> None:
    # GIVEN a subscriber of a kept topic that has received 5 messages
    received: list[Message] = []
    stream = subscribe(APP, channel="feed:c", topics=["log"], url=gateway.ws_url)
    consumer = asyncio.create_task(collect(stream, 15, received))
    first = await until_connected(gateway)
    realtime = Realtime(APP_ID, cache_seconds=0)
    try:
        for n in range(5):
            await realtime.publish(feed("c").log, f"line {n}")
        await realtime.flush()
        await eventually(lambda: len(received) >= 5, "5 received")
        # WHEN its socket is dropped by the server and 5 more are published meanwhile
        client = aws.client("apigatewaymanagementapi", endpoint_url=gateway.management_url)
        await asyncio.to_thread(client.delete_connection, ConnectionId=next(iter(first)))
        for n in range(5, 10):
            await realtime.publish(feed("c").log, f"line {n}")
        await realtime.flush()
        # AND 5 more after it has reconnected
        await until_connected(gateway, exclude=frozenset(first))
        await eventually(lambda: len(received) >= 10, "10 received")
        for n in range(10, 15):
            await realtime.publish(feed("c").log, f"line {n}")
        await realtime.flush()
        await asyncio.wait_for(consumer, 20)
    finally:
        realtime.close()
        await stream.aclose()
    # THEN it saw all 15, once each, in order
    assert [m.data for m in received] == [f"line {n}" for n in range(15)]


async def test_a_refused_token_is_raised_not_retried(gateway: RunningGateway) -> None:
    stream = subscribe(
        APP, channel="feed:d", topics=["tokens"], url=gateway.ws_url, token="not.a.jwt"
    )
    with pytest.raises(SubscriptionRefused, match="HTTP 403"):
        await anext(stream)
