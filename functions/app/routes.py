"""HTTP routes of the examples, for an ASGI app to mount: ``api.include_router(router)``.

``POST /api/hello-world`` is seed 001's ``POST`` handler: it sends ``hello-world/hello`` with a
fresh ``uuid`` and answers with a Server-Sent Events stream of ``hello-world.{uuid}``'s ``logs``.

Unlike the seed, it subscribes *before* sending: ``logs`` keeps no history, so a message the run
publishes before the socket is subscribed would be lost. The stream ends when the run reports a
terminal status, or after ``STREAM_SECONDS`` without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from asyncio import FIRST_COMPLETED
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from stepstream import RunStatus
from stepstream.realtime import Message, encode_sse, subscribe

from .channels import hello_channel
from .client import app

STREAM_SECONDS = 30.0
SUBSCRIBE_WAIT_SECONDS = 5.0
MAX_BODY_BYTES = 16 * 1024
SSE_HEADERS = {"Cache-Control": "no-cache", "Connection": "keep-alive", "X-Accel-Buffering": "no"}

router = APIRouter(tags=["examples"])


async def _check_body(request: Request) -> None:
    """The seed reads a JSON body (and ignores its ``prompt``); accept none or a JSON object."""
    raw = await request.body()
    if not raw.strip():
        return
    if len(raw) > MAX_BODY_BYTES:
        raise HTTPException(413, f"the body has {len(raw)} bytes; the limit is {MAX_BODY_BYTES}")
    try:
        document = json.loads(raw)
    except ValueError:
        raise HTTPException(400, 'the body must be JSON, e.g. {} or {"prompt": "..."}') from None
    if not isinstance(document, dict):
        raise HTTPException(400, "the body must be a JSON object, e.g. {}")


async def _wait_subscribed(subscribed: asyncio.Event, first: asyncio.Future[Message]) -> None:
    """Until the gateway has registered the subscription, the first message came (or the
    subscription failed), or ``SUBSCRIBE_WAIT_SECONDS`` passed."""
    signal = asyncio.ensure_future(subscribed.wait())
    either: list[asyncio.Future[Any]] = [signal, first]
    try:
        await asyncio.wait(either, timeout=SUBSCRIBE_WAIT_SECONDS, return_when=FIRST_COMPLETED)
    finally:
        signal.cancel()


async def hello_messages(uuid_: str) -> AsyncIterator[Message]:
    """Subscribe to the run's channel, send the event once subscribed, then yield the ``logs``
    messages until the run ends."""
    subscribed = asyncio.Event()
    messages = subscribe(
        app, channel=hello_channel(uuid_), topics=["logs"], on_subscribed=subscribed.set
    )
    pending: asyncio.Future[Message] = asyncio.ensure_future(anext(messages))
    try:
        await _wait_subscribed(subscribed, pending)
        await asyncio.to_thread(app.send, {"name": "hello-world/hello", "data": {"uuid": uuid_}})
        deadline = time.monotonic() + STREAM_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(asyncio.shield(pending), left)
            except TimeoutError:
                break
            if message.kind == "run" and _terminal(message):
                break
            if message.kind == "data":
                yield message
            pending = asyncio.ensure_future(anext(messages))
    finally:
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        await messages.aclose()


def _terminal(message: Message) -> bool:
    data = message.data
    return isinstance(data, dict) and RunStatus.is_terminal(data.get("status"))


@router.post("/api/hello-world", response_class=StreamingResponse)
async def hello_world_stream(request: Request) -> StreamingResponse:
    """Send ``hello-world/hello`` and stream the run's ``logs`` as ``text/event-stream``."""
    await _check_body(request)
    return StreamingResponse(
        encode_sse(hello_messages(str(uuid.uuid4()))),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )
