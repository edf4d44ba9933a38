"""GIVEN a live socket on the local gateway WHEN a fan-out post is refused with an error other
than 410 Gone (here the gateway's real 413 PayloadTooLargeException for a frame over API
Gateway's 128 KB message limit, which a publish never sends but a fan-out must survive) THEN the
frame is dropped, counted (``RealtimePostFailed``) and logged, the connection is kept, and its
later frames still arrive in order.

Throttling (429) and 5xx answers never reach the fan-out as errors until botocore's standard
retries (5 attempts, with backoff) are spent; the local gateway produces neither, and this test
does not fake them: the 413 takes the same path."""

from __future__ import annotations

import logging

import pytest

from stepstream._metrics._recorder import RECORDER
from stepstream.local import RunningGateway
from stepstream.realtime._fanout import Fanout
from stepstream.store import ConnectionsApi, ConnectionStore

from ._clients import nothing_more, receive, subscriber


def _frame(seq: int, data: str) -> dict[str, object]:
    return {"kind": "data", "channel": "chat:big", "topic": "tokens", "data": data, "seq": seq}


async def test_a_refused_post_drops_its_frame_and_the_next_ones_arrive(
    gateway: RunningGateway, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ConnectionStore()
    async with subscriber(gateway, "chat:big", ["tokens"]) as ws:
        # (on after the connect: a handler's invocation sets it from its environment)
        monkeypatch.setattr(RECORDER, "on", True)
        RECORDER.take()
        fanout = Fanout(store, ConnectionsApi, cache_seconds=0, workers=2)
        try:
            with caplog.at_level(logging.WARNING, logger="stepstream.realtime"):
                fanout.submit("chat:big", _frame(1, "a"), topic="tokens", keep_until=None)
                fanout.submit(
                    "chat:big", _frame(2, "x" * (130 * 1024)), topic="tokens", keep_until=None
                )
                fanout.submit("chat:big", _frame(3, "c"), topic="tokens", keep_until=None)
                fanout.flush(timeout=30)
            # (taken now: the gateway's handlers flush the process's metrics as Lambdas do)
            counts, _ = RECORDER.take()
        finally:
            fanout.close()
        # THEN the socket got the frames around the refused one, in order, and nothing else
        assert [f["seq"] for f in await receive(ws, 2)] == [1, 3]
        assert await nothing_more(ws)
        # AND the connection was not forgotten, as a 410 would have it
        assert len(store.subscribers("chat:big")) == 1
    failed = sum(v for (_, name, _), v in counts.items() if name == "RealtimePostFailed")
    gone = sum(v for (_, name, _), v in counts.items() if name == "RealtimeGone")
    assert (failed, gone) == (1, 0)
    assert any(
        "frame dropped" in r.getMessage() and "PayloadTooLarge" in r.getMessage()
        for r in caplog.records
    )
