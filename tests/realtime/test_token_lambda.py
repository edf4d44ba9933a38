"""functions/realtime_token.py: the token route on Lambda, API Gateway HTTP API events in."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepstream.local import LambdaContext
from stepstream.realtime import verify_token

SAMPLE = Path(__file__).resolve().parents[2] / "events" / "realtime_token.json"


def _event(body: Any, authorization: str | None) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(json.loads(SAMPLE.read_text()))
    event["body"] = json.dumps(body)
    event["headers"].pop("content-length", None)
    event["headers"].pop("authorization", None)
    if authorization is not None:
        event["headers"]["authorization"] = authorization
    return event


@pytest.fixture
def lambda_loop() -> Iterator[None]:
    # Mangum runs each request on the thread's current event loop, making one if there is
    # none; on Lambda the process ends with it, here the test must close it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


@pytest.mark.usefixtures("lambda_loop")
def test_the_lambda_mints_for_the_signing_key_and_refuses_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STEPSTREAM_SIGNING_KEY", raising=False)
    import realtime_token

    from stepstream.config import DEV_SIGNING_KEY

    body = [{"channel": "ai:7", "name": "tokens", "kind": "run"}]
    minted = realtime_token.handler(_event(body, f"Bearer {DEV_SIGNING_KEY}"), LambdaContext())
    assert minted["statusCode"] == 201, minted
    assert verify_token(json.loads(minted["body"])["jwt"]).channel == "ai:7"

    refused = realtime_token.handler(_event(body, None), LambdaContext())
    assert refused["statusCode"] == 401
    assert "signing key" in json.loads(refused["body"])["error"]

    garbled = realtime_token.handler(_event("[", f"Bearer {DEV_SIGNING_KEY}"), LambdaContext())
    assert garbled["statusCode"] == 400
