"""GIVEN two publishers on one kept channel, each taking seqs from its own block, WHEN a client
resumes with ``since`` and the publisher with the lower block publishes after the replay handed
over (its seq below the last one replayed), THEN the client still receives that message."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from stepstream import subscribe
from stepstream.local import RunningGateway
from stepstream.realtime import Message, Realtime, channel, topic

from ._support import APP_ID, eventually

shared = channel("shared-kept").add_topic(topic("logs", history=True))


async def test_a_lower_seq_after_the_replay_is_delivered_live(gateway: RunningGateway) -> None:
    low, high = Realtime(APP_ID, cache_seconds=0), Realtime(APP_ID, cache_seconds=0)
    received: list[Message] = []
    stream = subscribe(
        SimpleNamespace(id=APP_ID),
        channel="shared-kept",
        topics=["logs"],
        since=0,
        url=gateway.ws_url,
    )

    async def listen() -> None:
        async for message in stream:
            received.append(message)
            if len(received) == 3:
                return

    try:
        # GIVEN low holds the seq block 1.. and high the next one, each with one kept message
        await low.publish(shared().logs, "low 1")
        await high.publish(shared().logs, "high 1")
        await eventually(
            lambda: len(low.store.history("shared-kept", after_seq=0)) == 2, "both kept"
        )
        # WHEN a client resumes from 0: the replay hands over at high's seq
        listener = asyncio.create_task(listen())
        await eventually(lambda: len(received) == 2, "the replay")
        await eventually(
            lambda: all(not s.held for s in low.store.subscribers("shared-kept")), "handed over"
        )
        # AND low publishes again from its block (no flush yet: a flush retires the block)
        await low.publish(shared().logs, "low 2")
        await asyncio.wait_for(listener, 10)
        await low.flush()
        await high.flush()
    finally:
        low.close()
        high.close()
        await stream.aclose()
    # THEN the message with the lower seq arrived after the higher one
    assert [m.data for m in received] == ["low 1", "high 1", "low 2"]
    seqs = [m.seq or 0 for m in received]
    assert seqs[0] < seqs[2] < seqs[1]
