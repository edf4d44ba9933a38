"""GIVEN `stepstream dev` with the project's own app (functions/app)
WHEN it is ready
THEN one port serves the dashboard, the browser client, health, the runs API, the event API and
the WebSocket endpoint, and the banner shows the URLs and the dev keys."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import websockets

from stepstream.config import DEV_EVENT_KEY, DEV_SIGNING_KEY
from tests.support.devprocess import ROOT, DevProcess

AUTH = {"Authorization": f"Bearer {DEV_SIGNING_KEY}"}


@pytest.fixture(scope="module")
def stack() -> Iterator[DevProcess]:
    process = DevProcess()
    try:
        process.wait_ready()
        yield process
    finally:
        process.kill()


def test_banner_prints_urls_and_dev_keys(stack: DevProcess) -> None:
    assert f"Dashboard    {stack.url}/" in stack.output
    assert f"ws{stack.url.removeprefix('http')}/v1/realtime/connect" in stack.output
    assert DEV_EVENT_KEY in stack.output
    assert DEV_SIGNING_KEY in stack.output
    assert "embedded moto" in stack.output


def test_dashboard_is_served_with_dev_keys_on_loopback(stack: DevProcess) -> None:
    page = httpx.get(stack.url + "/")
    assert page.status_code == 200
    assert "window.STEPSTREAM_DEV" in page.text
    assert DEV_SIGNING_KEY in page.text
    for asset in ("/dashboard/app.js", "/dashboard/style.css", "/dashboard/timeline.js"):
        assert httpx.get(stack.url + asset).status_code == 200, asset
    client = httpx.get(stack.url + "/web/subscribe.js")
    assert client.status_code == 200
    assert "export function subscribe" in client.text


def test_http_api_on_the_same_port(stack: DevProcess) -> None:
    assert httpx.get(stack.url + "/health").json() == {"status": "ok"}
    functions = httpx.get(stack.url + "/v1/functions", headers=AUTH)
    assert functions.status_code == 200
    assert functions.json()["data"], "the project's app registers at least one function"
    assert httpx.get(stack.url + "/v1/functions").status_code == 401
    sent = httpx.post(f"{stack.url}/e/{DEV_EVENT_KEY}", json={"name": "devstack/ping"})
    assert sent.status_code == 200
    assert len(sent.json()["ids"]) == 1


async def test_websocket_connects_through_the_gateway(stack: DevProcess) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        answer = await http.post(
            "/v1/realtime/token",
            json=[{"channel": "devstack-ws", "name": "logs", "kind": "run"}],
            headers=AUTH,
        )
    assert answer.status_code == 201
    ws_url = "ws" + stack.url.removeprefix("http") + "/v1/realtime/connect"
    async with websockets.connect(f"{ws_url}?token={answer.json()['jwt']}") as socket:
        await socket.send(json.dumps({"kind": "ping"}))
        reply = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
    assert reply == {"kind": "pong"}


async def test_websocket_without_token_is_refused(stack: DevProcess) -> None:
    ws_url = "ws" + stack.url.removeprefix("http") + "/v1/realtime/connect"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with websockets.connect(ws_url):
            pass
    assert refused.value.response.status_code in (401, 403)


def test_demo_pages_are_listed_and_served(stack: DevProcess) -> None:
    config = httpx.get(stack.url + "/dashboard/config.json").json()
    demos = ROOT / "web" / "demos"
    expected = sorted(p.parent.name for p in demos.glob("*/index.html"))
    assert sorted(d["name"] for d in config["demos"]) == expected
    for demo in config["demos"]:
        assert httpx.get(stack.url + demo["url"]).status_code == 200, demo
