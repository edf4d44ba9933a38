"""Subscribing over real sockets for the publish tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from stepstream.local import RunningGateway
from stepstream.realtime._tokens import mint_token


@asynccontextmanager
async def subscriber(
    gateway: RunningGateway, channel: str, topics: list[str]
) -> AsyncIterator[ClientConnection]:
    token = mint_token(app_id="publish-tests", channel=channel, topics=topics)
    async with connect(f"{gateway.ws_url}?token={token}") as ws:
        yield ws


async def receive(ws: ClientConnection, count: int, wait: float = 10.0) -> list[dict[str, Any]]:
    return [json.loads(await asyncio.wait_for(ws.recv(), wait)) for _ in range(count)]


async def every_id_and_repeats(
    sockets: list[ClientConnection], ids: int
) -> list[list[dict[str, Any]]]:
    """Each socket's frames until it has ``ids`` distinct ids, then whatever repeats still
    arrive within half a second (a retried shard's posts)."""
    got = []
    for ws in sockets:
        frames: list[dict[str, Any]] = []
        while len({f["id"] for f in frames}) < ids:
            frames += await receive(ws, 1, wait=30)
        got.append(frames)
    await asyncio.sleep(0.5)  # anything still on its way
    for ws, frames in zip(sockets, got, strict=True):
        while True:
            try:
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), 0.2)))
            except TimeoutError:
                break
    return got


async def nothing_more(ws: ClientConnection) -> bool:
    """True if nothing is waiting after a round trip through the gateway (ping → pong)."""
    await ws.send('{"kind":"ping"}')
    frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert frame == {"kind": "pong"}, f"expected nothing more, got {frame}"
    return True
