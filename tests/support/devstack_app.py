"""The app the dev-stack and CLI tests run instead of functions/app, so they do not depend on
the examples: one function that runs a step and publishes, one that fails."""

from __future__ import annotations

from typing import Any

from stepstream import Context, NonRetriableError, Stepstream
from stepstream.realtime import channel, topic

app = Stepstream(id="devstack-test")

# Kept in history, so a client that reconnects with `since` gets what it missed.
progress = channel("devstack-progress").add_topic(topic("progress", history=True).type(dict))


def _double(n: int) -> int:
    return n * 2


@app.function(id="echo", trigger="test/echo", retries=0)
async def echo(ctx: Context) -> dict[str, Any]:
    doubled = await ctx.step.run("double", _double, int(ctx.event.data["n"]))
    await ctx.publish(progress().progress, {"run_id": ctx.run_id, "doubled": doubled})
    return {"doubled": doubled}


def _explode() -> None:
    raise NonRetriableError("the test asked for a failure")


@app.function(id="fail", trigger="test/fail", retries=0)
async def fail(ctx: Context) -> None:
    await ctx.step.run("explode", _explode)
