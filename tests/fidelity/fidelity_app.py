"""The app the fidelity tests run: a long sleeper (timer hops), a step that takes a second (to
see runs overlap) and a step that makes an AWS call its function's role does not grant."""

from __future__ import annotations

import time
from typing import Any

from stepstream import Context, Stepstream
from stepstream.aws import client

app = Stepstream(id="fidelity-test")

ENVIRONMENTS: list[tuple[str, int]] = []
"""(environment, its invocation count) per executor invocation (tests/fidelity/handlers)."""

STEP_TIMES: list[tuple[str, float, float]] = []
"""(run id, start, end) of every ``slow`` step, in this process."""


@app.function(id="sleeper", trigger="test/sleep", retries=0)
async def sleeper(ctx: Context) -> str:
    await ctx.step.sleep("nap", f"{int(ctx.event.data['seconds'])}s")
    return "woke"


def _slow(run_id: str) -> str:
    started = time.time()
    time.sleep(1.0)
    STEP_TIMES.append((run_id, started, time.time()))
    return run_id


@app.function(id="slow", trigger="test/slow", retries=0)
async def slow(ctx: Context) -> str:
    return str(await ctx.step.run("slow", _slow, ctx.run_id))


def _list_tables() -> Any:
    return client("dynamodb").list_tables()["TableNames"]


@app.function(id="overreach", trigger="test/overreach", retries=0)
async def overreach(ctx: Context) -> Any:
    return await ctx.step.run("list-tables", _list_tables)
