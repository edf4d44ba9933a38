"""GIVEN sockets open on the local gateway (clients that never speak, like the official Inngest
client), WHEN the per-minute scheduler runs the keepalive sweep, THEN every socket receives a
``{"kind":"ping"}`` once in every PING_EVERY_MINUTES minutes, connections that answer 410 are
forgotten, expired listings are skipped, and the sweep lists connections without a table Scan."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import scheduler  # functions/scheduler.py
import websockets
from websockets.asyncio.client import ClientConnection

from stepstream import Stepstream, _aws
from stepstream.local import GatewayLimits, RunningGateway
from stepstream.realtime import sweep_keepalive
from stepstream.realtime._keepalive import PING_EVERY_MINUTES
from stepstream.store import ConnectionStore
from stepstream.store._connection_listing import connection_shard

from ._support import eventually, realtime_items, recv_json, token
from .conftest import GatewayFactory

BASE_MINUTE = int(datetime(2026, 1, 5, 8, 0, tzinfo=UTC).timestamp()) // 60


def minute_of(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def due_for(connection_id: str) -> datetime:
    """A minute in which the sweep pings ``connection_id``."""
    shard = connection_shard(connection_id)
    return minute_of(BASE_MINUTE + (shard - BASE_MINUTE) % PING_EVERY_MINUTES)


def listed(connection_id: str) -> bool:
    return any(pk.startswith("CONNS#") and sk == connection_id for pk, sk, _ in realtime_items())


def mentions(connection_id: str) -> bool:
    return any(connection_id in pk or connection_id in sk for pk, sk, _ in realtime_items())


@pytest.fixture
def no_cron_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler, "load_app", lambda: Stepstream("keepalive-tests"))


@pytest.fixture
def dynamodb_calls() -> Iterator[list[str]]:
    """The name of every DynamoDB request made through the shared client (a botocore hook)."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = _aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb.*", record)
    yield calls
    events.unregister("before-call.dynamodb.*", record)


async def open_sockets(gateway: RunningGateway, count: int) -> list[ClientConnection]:
    sockets = [
        await websockets.connect(f"{gateway.ws_url}?token={token(f'quiet-{i}', ['news'])}")
        for i in range(count)
    ]
    await eventually(lambda: len(gateway.gateway.connection_ids()) == count, "all connected")
    await eventually(lambda: all(listed(c) for c in gateway.gateway.connection_ids()), "listed")
    return sockets


async def pings_waiting(ws: ClientConnection) -> int:
    count = 0
    while True:
        try:
            frame = await recv_json(ws, wait=0.2)
        except TimeoutError:
            return count
        assert frame == {"kind": "ping"}
        count += 1


async def test_the_scheduler_pings_every_socket_once_per_cycle(
    gateway: RunningGateway, no_cron_app: None
) -> None:
    sockets = await open_sockets(gateway, 6)
    try:
        # WHEN the scheduler runs for PING_EVERY_MINUTES consecutive minutes
        pinged = 0
        for minute in range(BASE_MINUTE, BASE_MINUTE + PING_EVERY_MINUTES):
            stamp = minute_of(minute).strftime("%Y-%m-%dT%H:%M:%SZ")
            result = await asyncio.to_thread(scheduler.handler, {"time": stamp}, None)
            assert result["started"] == []
            assert result["gone"] == 0
            pinged += result["pinged"]
        # THEN each socket got exactly one ping, and still works
        assert pinged == 6
        assert [await pings_waiting(ws) for ws in sockets] == [1] * 6
        await sockets[0].send('{"kind":"ping"}')
        assert await recv_json(sockets[0]) == {"kind": "pong"}
    finally:
        for ws in sockets:
            await ws.close()
    # AND $disconnect removes them from the listing the sweep reads
    await eventually(
        lambda: not any(pk.startswith("CONNS#") for pk, _, _ in realtime_items()), "unlisted"
    )


async def test_a_gone_connection_is_forgotten_and_an_expired_one_skipped(
    gateway: RunningGateway,
) -> None:
    store = ConnectionStore()
    # GIVEN a listed connection the gateway no longer has, and a listing already expired
    store.add("gone-conn", "chan-a", ["t1"], expires_at=int(time.time()) + 600)
    store.add("expired-conn", "chan-a", ["t1"], expires_at=int(time.time()) - 1)
    # WHEN the sweep reaches each of them
    gone = await asyncio.to_thread(sweep_keepalive, due_for("gone-conn"))
    expired = await asyncio.to_thread(sweep_keepalive, due_for("expired-conn"))
    # THEN the gone one answered 410 and every item of it is deleted
    assert (gone.pinged, gone.gone, gone.failed) == (0, 1, 0)
    assert not mentions("gone-conn")
    # AND the expired one was never posted to (it would have answered 410 too); TTL removes it
    assert (expired.pinged, expired.gone, expired.failed) == (0, 0, 0)
    assert listed("expired-conn")


async def test_a_sweep_queries_shards_and_never_scans(
    gateway: RunningGateway, dynamodb_calls: list[str]
) -> None:
    sockets = await open_sockets(gateway, 4)
    try:
        dynamodb_calls.clear()
        for minute in range(BASE_MINUTE, BASE_MINUTE + PING_EVERY_MINUTES):
            await asyncio.to_thread(sweep_keepalive, minute_of(minute))
        swept = list(dynamodb_calls)  # before closing: $disconnect makes requests too
        assert [await pings_waiting(ws) for ws in sockets] == [1] * 4
    finally:
        for ws in sockets:
            await ws.close()
    # one Query per shard over a whole cycle, nothing else (no 410, so no deletes)
    assert "Scan" not in swept
    assert swept == ["Query"] * 8


def test_no_websocket_api_means_nothing_to_ping(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEPSTREAM_WS_MANAGEMENT_URL", raising=False)
    result = sweep_keepalive(minute_of(BASE_MINUTE))
    assert (result.pinged, result.gone, result.failed) == (0, 0, 0)


async def test_sweep_pings_hold_a_silent_socket_open(gateway_factory: GatewayFactory) -> None:
    # GIVEN a gateway that closes sockets idle for 1.5 s, and a client that never speaks
    gateway = gateway_factory(limits=GatewayLimits(idle_timeout=1.5))
    (ws,) = await open_sockets(gateway, 1)
    first = gateway.gateway.connection_ids()
    (connection_id,) = first
    try:
        # WHEN the sweep of the socket's minute runs every 0.1 s, for several idle timeouts (the
        # socket's minute only: a whole cycle of minutes per idle timeout made the test depend on
        # how fast moto answers on a loaded machine)
        deadline = asyncio.get_running_loop().time() + 4.5
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.to_thread(sweep_keepalive, due_for(connection_id))
            await asyncio.sleep(0.1)
        # THEN the same socket is still open, with the pings waiting for it
        assert gateway.gateway.connection_ids() == first
        assert await pings_waiting(ws) >= 2
    finally:
        await ws.close()
