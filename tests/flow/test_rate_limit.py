"""GIVEN a function rate-limited to 2 runs per minute per user (async and sync)
WHEN a user sends three events and another user one
THEN the user's first two run, the third starts nothing (its run is recorded cancelled with
the reason, visible in the runs API) and the other user is not limited."""

from __future__ import annotations

import pytest

from stepstream import Context, RateLimit, Stepstream, SyncContext

from ..engine.harness import EngineEnv, Harness

app = Stepstream(id="flow-rate-limit")


@app.function(
    id="limited-async",
    trigger="flow/rate-async",
    rate_limit=RateLimit(limit=2, period="1m", key="event.data.user"),
)
async def limited_async(ctx: Context) -> str:
    return str(ctx.event.data["user"])


@app.function(id="limited-sync", trigger="flow/rate-sync", rate_limit=RateLimit(1, "1m"))
def limited_sync(ctx: SyncContext) -> str:
    return "ran"


@pytest.mark.also_on_aws
def test_events_over_the_limit_start_nothing_and_say_so(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    runs = [harness.run_of(harness.send("flow/rate-async", {"user": "u1"})) for _ in range(3)]
    other = harness.run_of(harness.send("flow/rate-async", {"user": "u2"}))
    assert harness.finish(runs[0]).output == "u1"
    assert harness.finish(runs[1]).output == "u1"
    assert harness.finish(other).output == "u2"
    dropped = app.runs.get(runs[2])
    assert dropped is not None
    assert dropped.status == "cancelled"
    assert dropped.held is not None
    assert dropped.held["reason"] == "rate_limited"
    assert "'u1'" in dropped.held["label"]
    assert dropped.steps == []


def test_sync_function_limited_function_wide(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    first = harness.run_of(harness.send("flow/rate-sync"))
    second = harness.run_of(harness.send("flow/rate-sync"))
    assert harness.finish(first).output == "ran"
    assert harness.status(second) == "cancelled"
