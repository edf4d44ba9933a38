"""GIVEN a socket subscribed to chan-a/t1, WHEN it sends hostile frames, THEN each gets an error
frame, the socket stays open, the table is unchanged, and no message it should not see arrives."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from stepstream.local import RunningGateway
from stepstream.realtime import Realtime, channel, topic

from ._support import APP_ID, forged, realtime_items, recv_json, subscriptions, tampered, token

chan = channel(lambda name: name).add_topic(topic("t1")).add_topic(topic("secret"))


async def error_for(ws: ClientConnection, frame: str | bytes) -> dict[str, str]:
    await ws.send(frame)
    answer = await recv_json(ws)
    assert answer["kind"] == "error", answer
    data: dict[str, str] = answer["data"]
    return data


HOSTILE_FRAMES: dict[str, tuple[str | bytes, str]] = {
    "malformed json": ('{"kind":"sub",', "malformed_json"),
    "not an object": ("[1,2]", "not_an_object"),
    "unknown kind": ('{"kind":"publish","data":"x"}', "unknown_kind"),
    "binary": (b"\x00\x01binary", "binary_frame"),
    "oversized": (json.dumps({"kind": "ping", "pad": "x" * 40_000}), "frame_too_large"),
    "sub without token": ('{"kind":"sub"}', "missing_token"),
    "sub with negative since": ('{"kind":"sub","data":"x.y.z","since":-4}', "bad_since"),
    "unsub not a list": ('{"kind":"unsub","data":"t1"}', "bad_topics"),
    "NaN": ('{"kind":"ping","n":NaN}', "malformed_json"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FRAMES))
async def test_garbled_frames_get_error_frames(gateway: RunningGateway, case: str) -> None:
    frame, code = HOSTILE_FRAMES[case]
    async with websockets.connect(f"{gateway.ws_url}?token={token('chan-a', ['t1'])}") as ws:
        before = realtime_items()
        assert (await error_for(ws, frame))["code"] == code
        await ws.send('{"kind":"ping"}')  # still open and served
        assert await recv_json(ws) == {"kind": "pong"}
        assert realtime_items() == before


SUB_TOKENS: dict[str, Callable[[], str]] = {
    "alg none": lambda: forged("chan-b", ["t1"], algorithm="none"),
    "wrong key": lambda: forged("chan-b", ["t1"], secret="wrong-secret-" + "y" * 30),
    "expired": lambda: forged("chan-b", ["t1"], exp=int(time.time()) - 120),
    "tampered channel": lambda: tampered(token("chan-a", ["t1"]), channel="chan-b"),
    "tampered topics": lambda: tampered(token("chan-a", ["t1"]), topics=["t1", "secret"]),
    "garbage": lambda: "%%%%",
}


@pytest.mark.parametrize("case", sorted(SUB_TOKENS))
async def test_sub_with_a_bad_token_changes_nothing(gateway: RunningGateway, case: str) -> None:
    async with websockets.connect(f"{gateway.ws_url}?token={token('chan-a', ['t1'])}") as ws:
        before = realtime_items()
        sub = json.dumps({"kind": "sub", "data": SUB_TOKENS[case]()})
        assert (await error_for(ws, sub))["code"].startswith("token_")
        assert realtime_items() == before


async def test_no_frame_can_widen_a_token(gateway: RunningGateway) -> None:
    # GIVEN a socket holding chan-a/t1
    async with websockets.connect(f"{gateway.ws_url}?token={token('chan-a', ['t1'])}") as ws:
        # WHEN it re-sends its own token with extra topics and another channel in the frame
        for escalation in (
            {"kind": "sub", "data": token("chan-a", ["t1"]), "topics": ["secret"]},
            {"kind": "sub", "data": token("chan-a", ["t1"]), "channel": "chan-b"},
        ):
            await ws.send(json.dumps(escalation))
        await ws.send('{"kind":"ping"}')
        assert await recv_json(ws) == {"kind": "pong"}
        # THEN the table still holds exactly chan-a/t1
        assert subscriptions() == {"chan-a": {"t1"}}
        # AND publishes to chan-a/secret and chan-b/t1 never reach the socket
        realtime = Realtime(APP_ID, cache_seconds=0)
        try:
            await realtime.publish(chan("chan-a").secret, "no")
            await realtime.publish(chan("chan-b").t1, "no")
            await realtime.publish(chan("chan-a").t1, "yes")
            await realtime.flush()
        finally:
            realtime.close()
        received = await recv_json(ws)
        assert (received["channel"], received["topic"], received["data"]) == ("chan-a", "t1", "yes")


async def test_sub_and_unsub_change_exactly_what_the_token_says(gateway: RunningGateway) -> None:
    async with websockets.connect(f"{gateway.ws_url}?token={token('chan-a', ['t1'])}") as ws:
        await ws.send(json.dumps({"kind": "sub", "data": token("chan-b", ["t1", "secret"])}))
        await ws.send('{"kind":"ping"}')
        assert await recv_json(ws) == {"kind": "pong"}
        assert subscriptions() == {"chan-a": {"t1"}, "chan-b": {"t1", "secret"}}
        await ws.send(json.dumps({"kind": "unsub", "data": ["secret"], "channel": "chan-b"}))
        await ws.send('{"kind":"ping"}')
        assert await recv_json(ws) == {"kind": "pong"}
        assert subscriptions() == {"chan-a": {"t1"}, "chan-b": {"t1"}}
    # AND $disconnect removes everything the socket held
    await _eventually_empty()


async def test_oversized_message_closes_with_1009_and_cleans_up(gateway: RunningGateway) -> None:
    async with websockets.connect(
        f"{gateway.ws_url}?token={token('chan-a', ['t1'])}", max_size=None
    ) as ws:
        await ws.send("x" * (128 * 1024 + 1))
        await ws.wait_closed()
        assert ws.close_code == 1009
    await _eventually_empty()


async def _eventually_empty() -> None:
    # $disconnect runs after the socket has closed; give it a moment, then insist.
    import asyncio

    for _ in range(100):
        if not realtime_items():
            return
        await asyncio.sleep(0.05)
    assert realtime_items() == set()
