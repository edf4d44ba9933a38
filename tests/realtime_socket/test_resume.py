"""GIVEN kept messages on a channel, WHEN a socket connects or subscribes with ``since``, THEN it
first receives the kept messages after ``since`` in order, then live ones, with none missing."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
import websockets

from stepstream import subscribe
from stepstream.local import RunningGateway
from stepstream.realtime import Message, Realtime, channel, topic
from stepstream.store import _seq_blocks

from ._support import APP_ID, eventually, recv_json, token


@pytest.fixture(autouse=True)
def seqs_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """These scenarios name seqs 1, 2, 3...; a new channel's counter starts from the clock."""
    monkeypatch.setattr(_seq_blocks, "seq_floor", lambda: 0)


kept = channel("story").add_topic(topic("line", history=True)).add_topic(topic("noise"))


async def publish_lines(realtime: Realtime, first: int, last: int) -> None:
    for n in range(first, last + 1):
        await realtime.publish(kept().line, f"line {n}")
    await realtime.flush()


async def test_query_since_replays_then_goes_live(gateway: RunningGateway) -> None:
    realtime = Realtime(APP_ID, cache_seconds=0)
    try:
        # GIVEN lines 1-10 kept (seq 1-10), and a non-kept message between them
        await publish_lines(realtime, 1, 5)
        await realtime.publish(kept().noise, "not kept")
        await publish_lines(realtime, 6, 10)
        url = f"{gateway.ws_url}?token={token('story', ['line', 'noise'])}&since=3"
        async with websockets.connect(url) as ws:
            # WHEN the client speaks first (the replay runs in the first $default)
            await ws.send('{"kind":"ping"}')
            replayed = [await recv_json(ws) for _ in range(7)]
            # THEN the kept messages after seq 3 arrive in order, then the pong
            assert [f["data"] for f in replayed] == [f"line {n}" for n in range(3, 11)][1:]
            assert [f["seq"] for f in replayed] == sorted(f["seq"] for f in replayed)
            assert await recv_json(ws) == {"kind": "pong"}
            # AND live messages follow
            await publish_lines(realtime, 11, 12)
            live = [await recv_json(ws) for _ in range(2)]
            assert [f["data"] for f in live] == ["line 11", "line 12"]
    finally:
        realtime.close()


async def test_sub_frame_since_replays_only_that_tokens_topics(gateway: RunningGateway) -> None:
    realtime = Realtime(APP_ID, cache_seconds=0)
    try:
        await publish_lines(realtime, 1, 4)
        async with websockets.connect(f"{gateway.ws_url}?token={token('other', ['x'])}") as ws:
            await ws.send(json.dumps({"kind": "sub", "data": token("story", ["line"]), "since": 2}))
            frames = [await recv_json(ws) for _ in range(2)]
            assert [(f["channel"], f["data"]) for f in frames] == [
                ("story", "line 3"),
                ("story", "line 4"),
            ]
            await publish_lines(realtime, 5, 5)
            assert (await recv_json(ws))["data"] == "line 5"
    finally:
        realtime.close()


async def test_resume_while_publishing_misses_nothing(gateway: RunningGateway) -> None:
    # GIVEN a publisher streaming kept lines continuously
    realtime = Realtime(APP_ID, cache_seconds=0)
    total = 150
    received: list[Message] = []

    async def stream_lines() -> None:
        for n in range(1, total + 1):
            await realtime.publish(kept().line, f"line {n}")
            if n % 10 == 0:
                await asyncio.sleep(0.005)
        await realtime.flush()

    publisher = asyncio.create_task(stream_lines())
    try:
        await eventually(
            lambda: len(realtime.store.history("story", after_seq=0, limit=40)) >= 30,
            "30 lines kept",
        )
        # WHEN a subscriber joins mid-stream asking for everything since seq 0
        app = SimpleNamespace(id=APP_ID)
        stream = subscribe(app, channel="story", topics=["line"], since=0, url=gateway.ws_url)
        async for message in stream:
            received.append(message)
            if message.data == f"line {total}":
                break
        await stream.aclose()
        await publisher
    finally:
        realtime.close()
    # THEN it has every line exactly once, in order
    assert [m.data for m in received] == [f"line {n}" for n in range(1, total + 1)]
