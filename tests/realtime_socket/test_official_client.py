"""GIVEN the gateway, WHEN the official ``inngest`` npm client (v4, ``inngest/realtime``
``subscribe``, ``ws`` as its WebSocket) and our Python ``subscribe`` listen to the same channel,
THEN both receive the same published messages, in the same order."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from stepstream import subscribe
from stepstream.config import Settings
from stepstream.realtime import Message, Realtime, channel, topic

from ._support import APP_ID, eventually, token
from .conftest import GatewayFactory

SCRIPT = Path(__file__).parent / "node" / "official_subscribe.mjs"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.node

ai = channel(lambda run_id: f"ai:{run_id}").add_topic(topic("tokens")).add_topic(topic("status"))


@pytest.mark.parametrize("token_source", ["minted", "token endpoint"])
async def test_official_client_receives_what_python_receives(
    gateway_factory: GatewayFactory, token_source: str
) -> None:
    # GIVEN one port serving the gateway and POST /v1/realtime/token; the official client gets its
    # token either minted here or from that endpoint through its own getSubscriptionToken
    gateway = gateway_factory(token_app_id=APP_ID)
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "inngest").is_dir():
        pytest.skip("node and the npm packages are needed: run `make node-deps`")
    ch = ai("run-7")
    topics = ["tokens", "status"]
    expected = 8  # 6 data frames + 2 run frames
    official = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        gateway.base_url,
        ch.name,
        ",".join(topics),
        token(ch.name, topics) if token_source == "minted" else "--fetch",
        str(expected),
        cwd=ROOT,
        env={
            **os.environ,
            "APP_ID": APP_ID,
            "INNGEST_SIGNING_KEY": Settings.from_env().signing_key,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert official.stdout is not None
    ready = await asyncio.wait_for(official.stdout.readline(), 30)
    if not ready:
        assert official.stderr is not None
        raise AssertionError((await official.stderr.read()).decode())
    assert json.loads(ready) == {"ready": True}, ready

    ours: list[Message] = []
    stream = subscribe(SimpleNamespace(id=APP_ID), channel=ch, topics=topics, url=gateway.ws_url)

    async def listen() -> None:
        async for message in stream:
            ours.append(message)
            if len(ours) == expected:
                return

    listener = asyncio.create_task(listen())
    await eventually(lambda: len(gateway.gateway.connection_ids()) == 2, "both connected")
    realtime = Realtime(APP_ID, cache_seconds=0)
    try:
        await realtime.run_status(
            run_id="run-7", fn_id="app-writer", status="running", channels=[ch.name]
        )
        await realtime.publish(ch.status, {"step": "drafting"}, run_id="run-7", fn_id="app-writer")
        for word in ["Hello", " wörld", " ✨", ""]:
            await realtime.publish(ch.tokens, {"token": word}, run_id="run-7", fn_id="app-writer")
        await realtime.publish(ch.status, "done")
        await realtime.run_status(
            run_id="run-7",
            fn_id="app-writer",
            status="completed",
            channels=[ch.name],
            output={"text": "Hello wörld ✨"},
        )
        await realtime.flush()
        out, err = await asyncio.wait_for(official.communicate(), 30)
        await asyncio.wait_for(listener, 10)
    finally:
        realtime.close()
        await stream.aclose()
        if official.returncode is None:
            official.kill()
    assert official.returncode == 0, err.decode()
    theirs = [json.loads(line) for line in out.decode().splitlines()]
    assert len(theirs) == expected, theirs

    def comparable(message: dict[str, Any]) -> dict[str, Any]:
        return {
            k: message.get(k)
            for k in ("kind", "channel", "topic", "data", "runId", "fnId", "createdAt")
        }

    assert [comparable(m) for m in theirs] == [comparable(m.to_json()) for m in ours]
    assert [m["kind"] for m in theirs] == ["run"] + ["data"] * 6 + ["run"]
    assert theirs[-1]["data"] == {"status": "completed", "output": {"text": "Hello wörld ✨"}}
