"""GIVEN two publishers on one channel (e.g. ``global`` fed by two runs), each taking seqs from its
own block, WHEN their messages reach a Python ``subscribe`` client interleaved, a lower seq after a
higher one, THEN every message is yielded once, and the client resumes from the highest seq."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from stepstream import subscribe
from stepstream.local import RunningGateway
from stepstream.realtime import Message, Realtime, channel, topic

from ._support import APP_ID, eventually

shared = channel("shared").add_topic(topic("logs"))


async def test_a_lower_seq_after_a_higher_one_is_still_delivered(gateway: RunningGateway) -> None:
    received: list[Message] = []
    stream = subscribe(
        SimpleNamespace(id=APP_ID), channel="shared", topics=["logs"], url=gateway.ws_url
    )

    async def listen() -> None:
        async for message in stream:
            received.append(message)
            if len(received) == 4:
                return

    listener = asyncio.create_task(listen())
    await eventually(lambda: len(gateway.gateway.connection_ids()) == 1, "connected")
    first, second = Realtime(APP_ID, cache_seconds=0), Realtime(APP_ID, cache_seconds=0)
    try:
        # WHEN A reserves the first block, B the next, and they alternate (no flush in between:
        # a flush retires a publisher's block)
        for n, (publisher, text) in enumerate(
            [(first, "a1"), (second, "b1"), (first, "a2"), (second, "b2")], start=1
        ):
            await publisher.publish(shared().logs, text)
            await eventually(lambda n=n: len(received) >= n, f"{text} delivered")  # type: ignore[misc]
        await asyncio.wait_for(listener, 10)
        await first.flush()
        await second.flush()
    finally:
        first.close()
        second.close()
        await stream.aclose()
    # THEN all four arrive in publish order although A's seqs are below B's
    assert [m.data for m in received] == ["a1", "b1", "a2", "b2"]
    seqs = [m.seq for m in received]
    assert None not in seqs
    assert seqs[0] < seqs[2] < seqs[1] < seqs[3]  # type: ignore[operator]
    assert len({m.id for m in received}) == 4
