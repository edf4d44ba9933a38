"""GIVEN posts that take as long as on AWS, WHEN frames queue for a connection that connected with
``coalesce=1``, THEN they arrive as ``batch`` frames that unpack to the same frames in the same
order; a connection that did not ask never receives a batch; a frame at the 128 KB limit still
goes through, alone; a malformed ``coalesce`` is refused before anything is recorded; and our
Python client resumes across coalesced frames with no gap and no repeat."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from stepstream import aws, subscribe
from stepstream.realtime import Realtime, channel, topic
from stepstream.realtime._frames import MAX_SERVER_FRAME_BYTES, data_frame, frame_size
from stepstream.realtime._realtime import _SEQ_PLACEHOLDER
from stepstream.store import _seq_blocks

from ._support import APP_ID, eventually, subscriptions, token
from .conftest import GatewayFactory


@pytest.fixture(autouse=True)
def seqs_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """These scenarios resume with small ``since`` values; a new channel's counter starts from
    the clock."""
    monkeypatch.setattr(_seq_blocks, "seq_floor", lambda: 0)


POST_SECONDS = 0.03
stream = channel("answer").add_topic(topic("tokens")).add_topic(topic("kept", history=True))


async def received_frames(ws: Any, count: int, messages: list[str]) -> list[dict[str, Any]]:
    """Read messages until ``count`` data frames have come, unpacking batches."""
    frames: list[dict[str, Any]] = []
    while len(frames) < count:
        raw = await asyncio.wait_for(ws.recv(), 10)
        messages.append(raw)
        frame = json.loads(raw)
        inner = frame["data"] if frame["kind"] == "batch" else [frame]
        frames.extend(f for f in inner if f["kind"] == "data")
    return frames


async def test_queued_frames_arrive_coalesced_only_where_asked(
    gateway_factory: GatewayFactory,
) -> None:
    gateway = gateway_factory(post_latency=POST_SECONDS)
    realtime = Realtime(APP_ID, cache_seconds=0)
    jwt = token("answer", ["tokens"])
    try:
        async with (
            websockets.connect(f"{gateway.ws_url}?token={jwt}&coalesce=1") as ours,
            websockets.connect(f"{gateway.ws_url}?token={jwt}") as official,
        ):
            # WHEN 60 tokens are published faster than one post takes
            for n in range(60):
                await realtime.publish(stream().tokens, f"t{n}")
            await realtime.flush()
            got_ours: list[str] = []
            got_official: list[str] = []
            ours_frames = await received_frames(ours, 60, got_ours)
            official_frames = await received_frames(official, 60, got_official)
    finally:
        realtime.close()
    # THEN both see every token in publish order, seq increasing
    for frames in (ours_frames, official_frames):
        assert [f["data"] for f in frames] == [f"t{n}" for n in range(60)]
        assert [f["seq"] for f in frames] == sorted({f["seq"] for f in frames})
    # AND the coalescing socket got them in far fewer messages, each within one billing unit
    # (how many depends on how fast this machine publishes against the post latency: at most 20
    # in every unstressed run, 22 once under stress-ng --cpu 2; one per token would be 60)
    assert len(got_ours) <= 30, len(got_ours)
    assert any(json.loads(m)["kind"] == "batch" for m in got_ours)
    assert all(len(m.encode()) <= 32 * 1024 for m in got_ours)
    # AND the socket that did not ask got one plain frame per message, never a batch
    assert len(got_official) == 60
    assert all(json.loads(m)["kind"] == "data" for m in got_official)


def padded_to_limit() -> str:
    """The largest payload ``publish`` accepts: its frame is at the 128 KB message limit with
    the widest seq publish allows for (so a few bytes under it with a small real seq)."""
    probe = data_frame(
        channel="answer",
        topic="tokens",
        data="",
        created_at="2026-01-01T00:00:00.000Z",
        id="x" * 32,
        seq=_SEQ_PLACEHOLDER,
    )
    return "p" * (MAX_SERVER_FRAME_BYTES - frame_size(probe))


async def test_a_frame_at_the_limit_goes_alone_between_coalesced_ones(
    gateway_factory: GatewayFactory,
) -> None:
    gateway = gateway_factory(post_latency=POST_SECONDS)
    realtime = Realtime(APP_ID, cache_seconds=0)
    jwt = token("answer", ["tokens"])
    try:
        async with websockets.connect(f"{gateway.ws_url}?token={jwt}&coalesce=1") as ws:
            # GIVEN small tokens queued around one message exactly at the 128 KB limit
            for n in range(5):
                await realtime.publish(stream().tokens, f"a{n}")
            big = await realtime.publish(stream().tokens, padded_to_limit())
            assert frame_size(big) > MAX_SERVER_FRAME_BYTES - 32
            for n in range(5):
                await realtime.publish(stream().tokens, f"b{n}")
            await realtime.flush()
            messages: list[str] = []
            frames = await received_frames(ws, 11, messages)
    finally:
        realtime.close()
    # THEN every frame arrives in order, the big one as a message of its own
    assert [f["seq"] for f in frames] == list(range(1, 12))
    alone = [m for m in messages if len(m.encode()) > MAX_SERVER_FRAME_BYTES - 32]
    assert len(alone) == 1
    assert json.loads(alone[0]) == big
    assert all(len(m.encode()) <= MAX_SERVER_FRAME_BYTES for m in messages)


@pytest.mark.parametrize("value", ["yes", "2", "true", "1,1"])
async def test_a_malformed_coalesce_is_refused_and_nothing_is_recorded(
    gateway_factory: GatewayFactory, value: str
) -> None:
    gateway = gateway_factory()
    url = f"{gateway.ws_url}?token={token('answer', ['tokens'])}&coalesce={value}"
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(url):
            pass
    assert refused.value.response.status_code == 403
    assert subscriptions() == {}
    # AND the same client without the malformed parameter connects as before
    async with websockets.connect(f"{gateway.ws_url}?token={token('answer', ['tokens'])}"):
        await eventually(lambda: len(subscriptions()) == 1, "the subscription is recorded")


async def test_replay_to_a_coalescing_socket_comes_in_batches(
    gateway_factory: GatewayFactory,
) -> None:
    gateway = gateway_factory(post_latency=POST_SECONDS)
    realtime = Realtime(APP_ID, cache_seconds=0)
    try:
        for n in range(40):
            await realtime.publish(stream().kept, f"k{n}")
        await realtime.flush()
        url = f"{gateway.ws_url}?token={token('answer', ['kept'])}&coalesce=1&since=10"
        async with websockets.connect(url) as ws:
            await ws.send('{"kind":"ping"}')  # the replay runs in the first $default
            messages: list[str] = []
            frames = await received_frames(ws, 30, messages)
    finally:
        realtime.close()
    assert [f["data"] for f in frames] == [f"k{n}" for n in range(10, 40)]
    assert len(messages) == 1  # 30 small frames fit one billing unit


async def test_python_subscribe_resumes_across_coalesced_frames(
    gateway_factory: GatewayFactory,
) -> None:
    gateway = gateway_factory(post_latency=POST_SECONDS)
    realtime = Realtime(APP_ID, cache_seconds=0)
    messages = subscribe(
        SimpleNamespace(id=APP_ID), channel="answer", topics=["kept"], url=gateway.ws_url
    )
    seen: list[Any] = []

    async def read(count: int) -> None:
        async for message in messages:
            seen.append(message)
            if len(seen) >= count:
                return

    reader = asyncio.create_task(read(60))
    try:
        await eventually(lambda: len(gateway.gateway.connection_ids()) == 1, "connected")
        first = gateway.gateway.connection_ids()[0]
        # GIVEN a burst that arrives coalesced
        for n in range(30):
            await realtime.publish(stream().kept, f"k{n}")
        await realtime.flush()
        await eventually(lambda: len(seen) >= 30, "the first 30 arrived", wait=20)
        # WHEN the server drops the socket and 30 more are published meanwhile
        client = aws.client("apigatewaymanagementapi", endpoint_url=gateway.management_url)
        await asyncio.to_thread(client.delete_connection, ConnectionId=first)
        for n in range(30, 60):
            await realtime.publish(stream().kept, f"k{n}")
        await realtime.flush()
        await asyncio.wait_for(reader, 20)
    finally:
        reader.cancel()
        await messages.aclose()
        realtime.close()
    # THEN every message arrived exactly once, in order, the missed ones through the resume
    assert [m.data for m in seen] == [f"k{n}" for n in range(60)]
