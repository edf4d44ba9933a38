"""Helpers for the HTTP API tests: a real uvicorn on a loopback port, keys, a sample app."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from stepstream import NonRetriableError, Stepstream
from stepstream.config import DEV_SIGNING_KEY
from stepstream.local import SqsPoller

AUTH = {"Authorization": f"Bearer {DEV_SIGNING_KEY}"}
EVENT_KEY = "dev-event-key"


def make_app() -> Stepstream:
    """An app with a two-step function (``test/greet``), one that sleeps an hour (``test/nap``)
    and one whose step fails for good (``test/boom``)."""
    app = Stepstream(id="http-tests")

    @app.function(id="greet", trigger="test/greet", retries=2)
    async def greet(ctx: Any) -> dict[str, str]:
        name = ctx.event.data.get("who", "world")
        hello = await ctx.step.run("hello", lambda: f"hello {name}")
        shout = await ctx.step.run("shout", lambda: hello.upper())
        return {"text": shout}

    @app.function(id="nap", trigger="test/nap")
    async def nap(ctx: Any) -> str:
        await ctx.step.run("yawn", lambda: "yawn")
        await ctx.step.sleep("long-nap", "1h")
        return "rested"

    @app.function(id="boom", trigger="test/boom", retries=0)
    def boom(ctx: Any) -> None:
        def explode() -> None:
            raise NonRetriableError("the fuse was short")

        ctx.step.run("explode", explode)

    return app


def run_until_settled(app: Stepstream, timeout: float = 20.0) -> None:
    """Play the executor Lambda: feed queued messages to ``app.execute`` until the queue is
    empty (no sleeps or waits in these tests' functions, so an empty queue means done)."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for record in event["Records"]:
            app.execute(json.loads(record["body"]), context)
        return {"batchItemFailures": []}

    poller = SqsPoller(handler, os.environ["STEPSTREAM_QUEUE_URL"], wait_seconds=0)
    deadline = time.monotonic() + timeout
    while poller.poll_once(wait_seconds=0):
        assert time.monotonic() < deadline, "runs did not settle in time"


LAMBDA_APP = make_app()
"""The app ``functions/api.py`` loads in the Lambda handler tests (``STEPSTREAM_APP``)."""


USER_ROUTER = APIRouter()
"""A user's own routes, as ``STEPSTREAM_ROUTES=tests.http._http_support:USER_ROUTER`` names
them."""


@USER_ROUTER.post("/api/echo")
async def echo(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body:
        raise HTTPException(422, "send something to echo")
    return {"bytes": len(body)}


@USER_ROUTER.get("/health")
def shadowing_health() -> dict[str, str]:
    return {"status": "the user's"}
