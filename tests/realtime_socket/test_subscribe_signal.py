"""GIVEN the gateway and a publisher
WHEN ``subscribe``'s ``on_subscribed`` fires
THEN the subscription is already registered: a message of a topic that keeps no history,
published at that moment, is received; and after a dropped socket it fires again, once the
reconnect is registered."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from stepstream import aws, subscribe
from stepstream.local import RunningGateway
from stepstream.realtime import Message, Realtime, channel, topic

from ._support import APP_ID
from .test_subscribe import until_connected

APP = SimpleNamespace(id=APP_ID)

news = channel(lambda name: f"news:{name}").add_topic(topic("flash"))  # no history


async def test_a_message_published_once_subscribed_is_received(gateway: RunningGateway) -> None:
    subscribed = asyncio.Event()
    stream = subscribe(
        APP, channel=news("a"), topics=["flash"], url=gateway.ws_url, on_subscribed=subscribed.set
    )
    first: asyncio.Future[Message] = asyncio.ensure_future(anext(stream))
    realtime = Realtime(APP_ID, cache_seconds=0)
    try:
        await asyncio.wait_for(subscribed.wait(), 20)
        assert await asyncio.to_thread(realtime.store.subscribers, "news:a")
        await realtime.publish(news("a").flash, "breaking")
        await realtime.flush()
        message = await asyncio.wait_for(first, 20)
    finally:
        realtime.close()
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        await stream.aclose()
    assert message.data == "breaking"


async def test_it_fires_again_after_a_reconnect(gateway: RunningGateway) -> None:
    signals: list[None] = []
    registered = asyncio.Event()

    def on_subscribed() -> None:
        signals.append(None)
        registered.set()

    stream = subscribe(
        APP, channel=news("b"), topics=["flash"], url=gateway.ws_url, on_subscribed=on_subscribed
    )
    pending = asyncio.ensure_future(anext(stream))
    try:
        await asyncio.wait_for(registered.wait(), 20)
        registered.clear()
        first = await until_connected(gateway)
        client = aws.client("apigatewaymanagementapi", endpoint_url=gateway.management_url)
        await asyncio.to_thread(client.delete_connection, ConnectionId=next(iter(first)))
        await asyncio.wait_for(registered.wait(), 20)
        await until_connected(gateway, exclude=frozenset(first))
    finally:
        pending.cancel()
        await asyncio.gather(pending, return_exceptions=True)
        await stream.aclose()
    assert len(signals) == 2
