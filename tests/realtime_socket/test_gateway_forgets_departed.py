"""GIVEN many sockets that connect, subscribe, send frames and leave (a clean close, a TCP abort
with no close frame, mid-way through their frames), THEN the gateway and its server keep nothing
of them: no connection in the gateway's map, none in uvicorn's, no socket left running a
handler, and no subscription in the realtime table (``$disconnect`` ran for each). The dev
process must not grow with every client that ever connected."""

from __future__ import annotations

import json

import websockets

from ._support import eventually, realtime_items, round_trip, token
from .conftest import GatewayFactory

ROUNDS = 3
PER_ROUND = 16


async def test_departed_sockets_leave_nothing_behind(gateway_factory: GatewayFactory) -> None:
    gateway = gateway_factory()
    url = f"{gateway.ws_url}?token={token('chan-a', ['t1'])}"
    sub = json.dumps({"kind": "sub", "data": token("chan-b", ["t2"]), "since": 0})
    for _ in range(ROUNDS):
        sockets = [await websockets.connect(url) for _ in range(PER_ROUND)]
        for ws in sockets:
            await round_trip(ws)  # connected, and one $default handled
        assert len(gateway.gateway.connection_ids()) == PER_ROUND
        for number, ws in enumerate(sockets):
            for _ in range(5):  # frames still queued or in a handler when the client leaves
                await ws.send(sub)
            if number % 2:
                ws.transport.abort()
            else:
                await ws.close()

    def forgotten() -> bool:
        state = gateway.server.server_state
        return not (gateway.gateway.connection_ids() or state.connections or state.tasks)

    await eventually(forgotten, "the gateway and uvicorn forgot every socket", wait=30)
    await eventually(lambda: not realtime_items(), "every $disconnect ran", wait=30)
