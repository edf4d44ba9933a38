"""GIVEN a gateway with shortened limits, THEN it closes sockets as API Gateway would: idle ones
(1001) unless messages flow, and every one at the maximum duration (1001), running $disconnect."""

from __future__ import annotations

import asyncio

import websockets

from stepstream import aws as _aws
from stepstream.local import GatewayLimits

from ._support import realtime_items, recv_json, token
from .conftest import GatewayFactory


async def test_idle_socket_is_closed_going_away(gateway_factory: GatewayFactory) -> None:
    gateway = gateway_factory(limits=GatewayLimits(idle_timeout=0.3))
    async with websockets.connect(f"{gateway.ws_url}?token={token('chan-a', ['t1'])}") as ws:
        await asyncio.wait_for(ws.wait_closed(), 10)
    assert (ws.close_code, ws.close_reason) == (1001, "Going away")
    for _ in range(100):
        if not realtime_items():
            break
        await asyncio.sleep(0.05)
    assert realtime_items() == set()


async def test_server_posts_keep_a_socket_alive_until_max_duration(
    gateway_factory: GatewayFactory,
) -> None:
    # GIVEN an idle timeout far shorter than the maximum duration
    gateway = gateway_factory(limits=GatewayLimits(idle_timeout=0.4, max_duration=2.0))
    client = _aws.client("apigatewaymanagementapi", endpoint_url=gateway.management_url)
    async with websockets.connect(f"{gateway.ws_url}?token={token('chan-a', ['t1'])}") as ws:
        cid = gateway.gateway.connection_ids()[0]
        received = 0
        # WHEN the server posts a keepalive ping more often than the idle timeout
        while True:
            try:
                await asyncio.to_thread(
                    client.post_to_connection, ConnectionId=cid, Data=b'{"kind":"ping"}'
                )
            except client.exceptions.GoneException:
                break
            assert await recv_json(ws) == {"kind": "ping"}
            received += 1
            await asyncio.sleep(0.1)
        await asyncio.wait_for(ws.wait_closed(), 10)
    # THEN the socket outlived several idle timeouts, and was closed at the duration limit
    assert received >= 5
    assert (ws.close_code, ws.close_reason) == (1001, "Going away")
