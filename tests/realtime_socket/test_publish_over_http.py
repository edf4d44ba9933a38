"""GIVEN the gateway, a subscriber and the HTTP API WHEN the official ``inngest`` PyPI client
publishes through ``POST /v1/realtime/publish`` (unmodified, with the signing key) THEN the
subscriber receives every message, in order, as a run's publish would deliver it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace

import inngest
import pytest
from inngest.experimental import realtime as inngest_realtime

from stepstream import Stepstream, subscribe
from stepstream.config import DEV_SIGNING_KEY
from stepstream.http import create_api
from stepstream.local import RunningGateway
from stepstream.realtime import Message
from tests.support.serve import serve

from ._support import APP_ID
from .test_subscribe import collect, until_connected


@pytest.fixture
async def official(gateway: RunningGateway) -> AsyncIterator[inngest.Inngest]:
    app = Stepstream(id=APP_ID)
    with serve(create_api(app)) as url:
        client = inngest.Inngest(
            app_id="publisher", signing_key=DEV_SIGNING_KEY, api_base_url=url, is_production=True
        )
        yield client
        # The SDK has no close(); without these its pooled connections leak (ResourceWarning).
        client._http_client._http_client_sync.close()
        await client._http_client._http_client.aclose()
    app.realtime.close()


async def test_the_official_client_publishes_to_subscribers(
    gateway: RunningGateway, official: inngest.Inngest
) -> None:
    received: list[Message] = []
    stream = subscribe(
        SimpleNamespace(id=APP_ID), channel="feed:http", topics=["tokens"], url=gateway.ws_url
    )
    consumer = asyncio.create_task(collect(stream, 20, received))
    await until_connected(gateway)
    try:
        for n in range(10):
            await inngest_realtime.publish(official, "feed:http", "tokens", {"n": n})
        for n in range(10, 20):
            await asyncio.to_thread(
                inngest_realtime.publish_sync, official, "feed:http", "tokens", {"n": n}
            )
        await asyncio.wait_for(consumer, 20)
    finally:
        await stream.aclose()
    assert [m.data for m in received] == [{"n": n} for n in range(20)]
    assert all(m.channel == "feed:http" and m.topic == "tokens" for m in received)
    assert len({m.id for m in received}) == 20


async def test_a_refused_publish_surfaces_in_the_sdk(official: inngest.Inngest) -> None:
    with pytest.raises(Exception, match="400"):
        await inngest_realtime.publish(official, "feed:http", "no spaces allowed", {"n": 1})
