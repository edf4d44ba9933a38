"""GIVEN a gateway emulating AWS's ``@connections`` round trip, WHEN boto3 posts, THEN each call
blocks its caller for the configured time, calls to different connections overlap instead of
queueing behind one another, and the setting comes from the option or the environment."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import websockets

from stepstream import aws as _aws
from stepstream.cli import build_parser
from stepstream.local._gateway_management import POST_LATENCY_ENV, post_latency_ms

from ._support import eventually, recv_json, token
from .conftest import GatewayFactory

LATENCY = 0.3


async def test_posts_wait_like_a_round_trip_and_overlap_across_connections(
    gateway_factory: GatewayFactory,
) -> None:
    gateway = gateway_factory(post_latency=LATENCY)
    client: Any = _aws.client("apigatewaymanagementapi", endpoint_url=gateway.management_url)
    jwt = token("ch", ["t"])
    async with (
        websockets.connect(f"{gateway.ws_url}?token={jwt}") as first,
        websockets.connect(f"{gateway.ws_url}?token={jwt}") as second,
    ):
        await eventually(lambda: len(gateway.gateway.connection_ids()) == 2, "both connected")
        ids = gateway.gateway.connection_ids()

        def post(connection_id: str) -> float:
            started = time.monotonic()
            client.post_to_connection(ConnectionId=connection_id, Data=b'{"kind":"ping"}')
            return time.monotonic() - started

        # WHEN one post is made alone, then one to each connection at the same time
        alone = await asyncio.to_thread(post, ids[0])
        started = time.monotonic()
        together = await asyncio.gather(*(asyncio.to_thread(post, i) for i in ids))
        both = time.monotonic() - started
        for ws in (first, second, first):
            assert (await recv_json(ws))["kind"] == "ping"
    # THEN every call took the round trip, and the two together took about one, not two
    assert alone >= LATENCY
    assert all(seconds >= LATENCY for seconds in together)
    assert both < 2 * LATENCY


def test_the_latency_comes_from_the_option_else_the_environment_else_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(POST_LATENCY_ENV, raising=False)
    assert post_latency_ms(None) == 0
    monkeypatch.setenv(POST_LATENCY_ENV, "30")
    assert post_latency_ms(None) == 30
    assert post_latency_ms(5) == 5
    monkeypatch.setenv(POST_LATENCY_ENV, "fast")
    with pytest.raises(ValueError, match="not a number of milliseconds"):
        post_latency_ms(None)
    with pytest.raises(ValueError, match="0-60000"):
        post_latency_ms(-1)


def test_stepstream_dev_takes_post_latency_ms() -> None:
    assert build_parser().parse_args(["dev", "--post-latency-ms", "45"]).post_latency_ms == 45
    assert build_parser().parse_args(["dev"]).post_latency_ms is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["dev", "--post-latency-ms", "-3"])


def test_stepstream_dev_defaults_to_an_aws_like_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    from stepstream.local._devstack import DEV_POST_LATENCY_MS, _dev_post_latency

    monkeypatch.delenv(POST_LATENCY_ENV, raising=False)
    assert _dev_post_latency(None) == DEV_POST_LATENCY_MS == 30
    assert _dev_post_latency(0) == 0
    monkeypatch.setenv(POST_LATENCY_ENV, "0")
    assert _dev_post_latency(None) == 0
