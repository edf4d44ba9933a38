"""GIVEN a gateway whose ``$default`` is slow (each message takes 50 ms)
WHEN one socket floods it with frames, or sends a burst and leaves
THEN the flooder is closed with 1008 once its queue is full and another socket is still served
at once; a departed client's queued frames are never handed to ``$default``."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed

from stepstream.local import GatewayLimits, WebSocketHandlers
from stepstream.local._gateway import TOO_MANY_QUEUED
from tests.realtime_socket._support import recv_json, token
from tests.realtime_socket.conftest import GatewayFactory, lambda_handlers


class SlowDefault:
    """The real ``$default``, 50 ms slower, counting the messages it was handed."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self._lock = threading.Lock()
        self._real = lambda_handlers().default

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        with self._lock:
            self.bodies.append(str(event.get("body")))
        time.sleep(0.05)
        return self._real(event, context)


def _slow_gateway(factory: GatewayFactory, slow: SlowDefault, queue: int) -> Any:
    real = lambda_handlers()
    handlers = WebSocketHandlers(real.authorizer, real.connect, real.disconnect, slow)
    return factory(limits=GatewayLimits(max_queued_messages=queue), handlers=handlers)


async def test_a_flooding_socket_is_closed_and_others_are_served(
    gateway_factory: GatewayFactory,
) -> None:
    slow = SlowDefault()
    gateway = _slow_gateway(gateway_factory, slow, queue=16)
    url = f"{gateway.ws_url}?token={token('chan-a', ['t1'])}"
    async with websockets.connect(url) as flooder, websockets.connect(url) as bystander:
        for _ in range(200):
            try:
                await flooder.send('{"kind":"ping"}')
            except ConnectionClosed:
                break
        await asyncio.wait_for(flooder.wait_closed(), 5)
        assert flooder.close_code == TOO_MANY_QUEUED
        started = time.monotonic()
        await bystander.send('{"kind":"ping"}')
        assert await recv_json(bystander) == {"kind": "pong"}
        assert time.monotonic() - started < 1.0
    assert len(slow.bodies) <= 16 + 2  # the queue, the one in hand, the bystander's ping


async def test_frames_of_a_client_that_left_are_not_processed(
    gateway_factory: GatewayFactory,
) -> None:
    slow = SlowDefault()
    gateway = _slow_gateway(gateway_factory, slow, queue=256)
    async with websockets.connect(f"{gateway.ws_url}?token={token('chan-a', ['t1'])}") as ws:
        for n in range(40):
            await ws.send(f'{{"kind":"ping","n":{n}}}')
    await asyncio.sleep(1.0)  # 40 x 50 ms would still be draining
    handed = len(slow.bodies)
    await asyncio.sleep(0.5)
    assert len(slow.bodies) == handed  # nothing more after the client left
    assert handed < 10
