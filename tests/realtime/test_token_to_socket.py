"""GIVEN a token from POST /v1/realtime/token WHEN a socket connects with it THEN it receives
what is published on that channel's topics, and nothing of the topics it was not granted."""

from __future__ import annotations

import httpx
from websockets.asyncio.client import connect

from stepstream import Stepstream
from stepstream.config import Settings
from stepstream.http import token_api
from stepstream.local import RunningGateway
from stepstream.realtime import Realtime, channel, topic
from tests.support.serve import serve

from ._clients import nothing_more, receive

ai = channel(lambda run_id: f"ai:{run_id}").add_topic(topic("tokens")).add_topic(topic("secret"))


async def test_endpoint_token_opens_exactly_its_topics(
    gateway: RunningGateway, realtime: Realtime
) -> None:
    app = Stepstream(id="publish-tests")
    auth = {"Authorization": f"Bearer {Settings.from_env().signing_key}"}
    body = [{"channel": "ai:e2e", "name": "tokens", "kind": "run"}]
    with serve(token_api(app)) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            answer = await http.post("/v1/realtime/token", json=body, headers=auth)
    assert answer.status_code == 201, answer.text
    async with connect(f"{gateway.ws_url}?token={answer.json()['jwt']}") as ws:
        await realtime.publish(ai("e2e").secret, "not for this token")
        sent = await realtime.publish(ai("e2e").tokens, "hello")
        await realtime.flush()
        assert await receive(ws, 1) == [sent]
        assert await nothing_more(ws)
