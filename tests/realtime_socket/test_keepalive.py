"""GIVEN a gateway that closes idle sockets (as API Gateway does after 10 minutes, here shortened),
WHEN a Python subscriber sits on a quiet channel, THEN its keepalive pings hold the same socket
open, and a client that never speaks is closed."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import websockets

from stepstream import subscribe
from stepstream.local import GatewayLimits
from stepstream.realtime import Message, Realtime, channel, topic

from ._support import APP_ID, eventually, token
from .conftest import GatewayFactory

quiet = channel("quiet").add_topic(topic("news"))


async def test_keepalive_pings_hold_a_quiet_socket_open(gateway_factory: GatewayFactory) -> None:
    gateway = gateway_factory(limits=GatewayLimits(idle_timeout=0.6))
    received: list[Message] = []
    stream = subscribe(
        SimpleNamespace(id=APP_ID),
        channel="quiet",
        topics=["news"],
        url=gateway.ws_url,
        keepalive=0.2,
    )

    async def listen() -> None:
        async for message in stream:
            received.append(message)
            return

    listener = asyncio.create_task(listen())
    await eventually(lambda: len(gateway.gateway.connection_ids()) == 1, "connected")
    first = gateway.gateway.connection_ids()
    # WHEN nothing is published for several idle timeouts
    await asyncio.sleep(2.0)
    # THEN the same socket is still the one connected, and it still delivers
    assert gateway.gateway.connection_ids() == first
    realtime = Realtime(APP_ID, cache_seconds=0)
    try:
        await realtime.publish(quiet().news, "still here")
        await realtime.flush()
        await asyncio.wait_for(listener, 10)
    finally:
        realtime.close()
        await stream.aclose()
    assert [m.data for m in received] == ["still here"]


async def test_a_silent_client_is_closed_when_idle(gateway_factory: GatewayFactory) -> None:
    gateway = gateway_factory(limits=GatewayLimits(idle_timeout=0.3))
    async with websockets.connect(f"{gateway.ws_url}?token={token('quiet', ['news'])}") as ws:
        await asyncio.wait_for(ws.wait_closed(), 10)
    assert ws.close_code == 1001
