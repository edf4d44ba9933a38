"""GIVEN an open socket
WHEN it sends a ``sub`` frame whose token is a lone surrogate (valid JSON, not encodable text)
THEN it is answered with a ``token_malformed`` error frame and the socket keeps serving."""

from __future__ import annotations

import websockets

from stepstream.local import RunningGateway
from tests.realtime_socket._support import recv_json, token


async def test_a_lone_surrogate_token_gets_an_error_frame(gateway: RunningGateway) -> None:
    async with websockets.connect(f"{gateway.ws_url}?token={token('chan-a', ['t1'])}") as ws:
        await ws.send('{"kind":"sub","data":"\\ud800"}')
        answer = await recv_json(ws)
        assert answer["kind"] == "error"
        assert answer["data"]["code"] == "token_malformed"
        await ws.send('{"kind":"ping"}')
        assert await recv_json(ws) == {"kind": "pong"}
