"""GIVEN an open socket, WHEN boto3's real ``apigatewaymanagementapi`` client calls the gateway's
``@connections`` API, THEN it behaves as API Gateway's: post, get, delete, 410 Gone, 413, 403."""

from __future__ import annotations

import asyncio
from typing import Any

import botocore.exceptions
import httpx
import pytest
import websockets

from stepstream import aws as _aws
from stepstream.local import RunningGateway

from ._support import realtime_items, recv_json, token


def management(url: str) -> Any:
    return _aws.client("apigatewaymanagementapi", endpoint_url=url)


async def connection_id(gateway: RunningGateway) -> str:
    for _ in range(200):
        if ids := gateway.gateway.connection_ids():
            return ids[0]
        await asyncio.sleep(0.01)
    raise AssertionError("the gateway never registered the connection")


@pytest.mark.parametrize("stage_path", ["", "/local"])
async def test_post_get_delete_and_gone(gateway: RunningGateway, stage_path: str) -> None:
    client = management(gateway.management_url + stage_path)
    async with websockets.connect(f"{gateway.ws_url}?token={token('chan-a', ['t1'])}") as ws:
        cid = await connection_id(gateway)
        # post: delivered as a text message
        await asyncio.to_thread(client.post_to_connection, ConnectionId=cid, Data=b'{"hi":1}')
        assert await recv_json(ws) == {"hi": 1}
        # get: the connection's identity and times
        info = await asyncio.to_thread(client.get_connection, ConnectionId=cid)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"
        assert info["LastActiveAt"] >= info["ConnectedAt"]
        # oversized post: 413, socket untouched
        with pytest.raises(client.exceptions.PayloadTooLargeException):
            await asyncio.to_thread(
                client.post_to_connection, ConnectionId=cid, Data=b"x" * (128 * 1024 + 1)
            )
        # delete: the socket closes and $disconnect cleans the table
        await asyncio.to_thread(client.delete_connection, ConnectionId=cid)
        await ws.wait_closed()
    for _ in range(100):
        if not realtime_items():
            break
        await asyncio.sleep(0.05)
    assert realtime_items() == set()
    # gone: every call answers 410
    for call in (client.post_to_connection, client.get_connection, client.delete_connection):
        kwargs = {"ConnectionId": cid, "Data": b"x"} if call == client.post_to_connection else {}
        kwargs.setdefault("ConnectionId", cid)
        with pytest.raises(client.exceptions.GoneException):
            await asyncio.to_thread(call, **kwargs)


async def test_unknown_connection_is_gone(gateway: RunningGateway) -> None:
    client = management(gateway.management_url)
    with pytest.raises(botocore.exceptions.ClientError) as gone:
        await asyncio.to_thread(
            client.post_to_connection, ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x"
        )
    assert gone.value.response["Error"]["Code"] == "GoneException"
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


async def test_unsigned_calls_are_forbidden(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{gateway.management_url}/@connections/abc", content=b"x")
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert answer.json() == {"message": "Missing Authentication Token"}
