"""GIVEN the gateway with the real authorizer, WHEN a socket offers a bad token, THEN the HTTP
upgrade is refused (401 without a token, 403 otherwise) and the connection table is unchanged."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from stepstream.local import RunningGateway

from ._support import forged, realtime_items, tampered, token

BAD_TOKENS: dict[str, Callable[[], str]] = {
    "alg none": lambda: forged(algorithm="none"),
    "wrong key": lambda: forged(secret="not-the-deployment-secret-" + "x" * 20),
    "expired": lambda: forged(exp=int(time.time()) - 120, iat=int(time.time()) - 180),
    "tampered channel": lambda: tampered(token("chan-a", ["t1"]), channel="chan-b"),
    "tampered topics": lambda: tampered(token("chan-a", ["t1"]), topics=["t1", "secret"]),
    "unknown kid": lambda: forged(kid="v999"),
    "wrong audience": lambda: forged(aud="someone-else"),
    "HS512": lambda: forged(algorithm="HS512"),
    "garbage": lambda: "not.a.jwt",
}


async def refused_status(url: str, **kwargs: object) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(url, **kwargs):  # type: ignore[arg-type]
            pass
    return refused.value.response.status_code


async def test_no_token_is_401(gateway: RunningGateway) -> None:
    before = realtime_items()
    assert await refused_status(gateway.ws_url) == 401
    assert await refused_status(gateway.ws_url + "?token=") == 401
    assert (
        await refused_status(gateway.ws_url, additional_headers={"Authorization": "Basic abc"})
        == 401
    )
    assert realtime_items() == before


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_bad_token_is_403(gateway: RunningGateway, case: str) -> None:
    # GIVEN a table that already holds one good subscription
    async with websockets.connect(f"{gateway.ws_url}?token={token('chan-a', ['t1'])}"):
        before = realtime_items()
        bad = BAD_TOKENS[case]()
        # WHEN the bad token is offered as a query parameter and as a Bearer header
        by_query = await refused_status(f"{gateway.ws_url}?token={bad}")
        by_header = await refused_status(
            gateway.ws_url, additional_headers={"Authorization": f"Bearer {bad}"}
        )
        # THEN both are refused before the socket opens and nothing was written
        assert (by_query, by_header) == (403, 403)
        assert realtime_items() == before


@pytest.mark.parametrize("since", ["-1", "abc", "1e3", "9" * 30])
async def test_malformed_since_is_403(gateway: RunningGateway, since: str) -> None:
    before = realtime_items()
    good = token("chan-a", ["t1"])
    assert await refused_status(f"{gateway.ws_url}?token={good}&since={since}") == 403
    assert realtime_items() == before


async def test_bearer_header_connects(gateway: RunningGateway) -> None:
    good = token("chan-a", ["t1"])
    async with websockets.connect(
        gateway.ws_url, additional_headers={"Authorization": f"Bearer {good}"}
    ) as ws:
        await ws.send('{"kind":"ping"}')
        assert await ws.recv() == '{"kind":"pong"}'


async def test_oversized_token_is_refused(gateway: RunningGateway) -> None:
    before = realtime_items()
    huge = token("chan-a", ["t1"]) + "a" * 6000
    # API Gateway refuses WebSocket URLs over 4096 characters; a header may carry more
    assert await refused_status(f"{gateway.ws_url}?token={huge}") == 414
    assert (
        await refused_status(gateway.ws_url, additional_headers={"Authorization": f"Bearer {huge}"})
        == 403
    )
    assert realtime_items() == before
