"""Helpers for the socket tests: tokens good and forged, the realtime table's contents, frames."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
from websockets.asyncio.client import ClientConnection

from stepstream import aws as _aws
from stepstream.config import Settings
from stepstream.realtime._secrets import key_ring
from stepstream.realtime._tokens import mint_token

APP_ID = "socket-tests"


def token(channel: str, topics: list[str], **kwargs: Any) -> str:
    return mint_token(app_id=APP_ID, channel=channel, topics=topics, **kwargs)


def forged(
    channel: str = "chan-a",
    topics: list[str] | None = None,
    *,
    secret: str | None = None,
    kid: str | None = None,
    algorithm: str = "HS256",
    **claims: Any,
) -> str:
    """A token with whatever the test wants wrong with it."""
    ring = key_ring()
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": "stepstream",
        "aud": "stepstream-realtime",
        "sub": APP_ID,
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
        "channel": channel,
        "topics": topics or ["t1"],
        **claims,
    }
    if algorithm == "none":
        return jwt.encode(body, "", algorithm="none", headers={"kid": kid or ring.kid})
    return jwt.encode(
        body, secret or ring.current, algorithm=algorithm, headers={"kid": kid or ring.kid}
    )


def tampered(good: str, **changes: Any) -> str:
    """``good`` with its claims edited and its original signature kept."""
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{edited}.{signature}"


def realtime_items() -> set[tuple[str, str, str]]:
    """Every item of the realtime table as (pk, sk, its JSON), to compare before and after."""
    table = Settings.from_env().realtime_table
    db = _aws.client("dynamodb")
    found: set[tuple[str, str, str]] = set()
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = db.scan(**kwargs)
        for item in page["Items"]:
            found.add((item["pk"]["S"], item["sk"]["S"], json.dumps(item, sort_keys=True)))
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def subscriptions() -> dict[str, set[str]]:
    """Channel → topics of every subscription item in the realtime table."""
    found: dict[str, set[str]] = {}
    for pk, _sk, raw in realtime_items():
        if pk.startswith("CH#"):
            item = json.loads(raw)
            found.setdefault(pk[3:], set()).update(item.get("topics", {}).get("SS", []))
    return found


async def recv_json(ws: ClientConnection, wait: float = 5.0) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), wait))
    return frame


async def round_trip(ws: ClientConnection) -> None:
    """Send a ping and wait for its pong: every frame sent before it has been handled."""
    await ws.send('{"kind":"ping"}')
    while (await recv_json(ws))["kind"] != "pong":
        pass


async def eventually(check: Callable[[], bool], what: str, wait: float = 10.0) -> None:
    """Poll ``check`` until it holds (other threads and processes do the work)."""
    for _ in range(int(wait / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting until {what}")
