"""GIVEN a publisher whose subscriber lists are not reused (``cache_seconds=0``; a list holding a
resuming socket's subscription is never reused either)
WHEN frames queue up while the dispatcher is still keeping an earlier one
THEN the queued frames are looked up together, one ``Query`` for the batch, and the subscriber
gets every frame in order.

Every frame of a batch is kept before the batch's lookup, so a replay releasing its hold after
that lookup finds them all in history (docs/realtime.md, "History and resume"). Looked up per
frame, 1,000 subscribers with 500 resuming cost the dispatcher a 1,000-item ``Query`` per frame
(``bench.soak``)."""

from __future__ import annotations

import threading
from typing import Any

from stepstream.local import RunningGateway
from stepstream.realtime import Realtime, channel, topic
from stepstream.store import ConnectionStore, Subscription

from ._clients import nothing_more, receive, subscriber

kept = channel(lambda room: f"batch:{room}").add_topic(topic("kept", history=True))
QUEUED = 5


class _SlowFirstKeep(ConnectionStore):
    """The real store; its first ``keep`` waits for the test, and lookups are counted."""

    def __init__(self) -> None:
        super().__init__()
        self.keeping = threading.Event()
        self.go_on = threading.Event()
        self.lookups = 0

    def keep(self, channel: str, frames: Any, *, ttl: int) -> None:
        if not self.keeping.is_set():
            self.keeping.set()
            assert self.go_on.wait(30)
        super().keep(channel, frames, ttl=ttl)

    def subscribers(self, channel: str) -> list[Subscription]:
        self.lookups += 1
        return super().subscribers(channel)


async def test_frames_queued_together_are_looked_up_once(gateway: RunningGateway) -> None:
    store = _SlowFirstKeep()
    realtime = Realtime("publish-tests", store=store, cache_seconds=0)
    try:
        async with subscriber(gateway, "batch:b1", ["kept"]) as ws:
            sent = [await realtime.publish(kept("b1").kept, {"n": 0})]
            assert store.keeping.wait(30)  # the dispatcher is busy with the first frame
            for n in range(1, QUEUED + 1):
                sent.append(await realtime.publish(kept("b1").kept, {"n": n}))
            store.go_on.set()
            await realtime.flush()
            assert await receive(ws, QUEUED + 1) == sent
            assert await nothing_more(ws)
        assert store.lookups == 2  # the first frame's batch, then the queued frames' batch
    finally:
        store.go_on.set()
        realtime.close()
