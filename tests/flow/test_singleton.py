"""GIVEN singleton functions keyed by user: ``skip`` (async) and ``cancel`` (sync)
WHEN a second event of the same user arrives while a run is in progress
THEN ``skip`` records the new run as skipped (cancelled, with the reason) and the first goes on;
``cancel`` cancels the first and runs the new one; another user is independent; once the run
ends, the next event runs again."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import Context, Singleton, Stepstream, SyncContext

from ..engine.harness import EngineEnv, Harness

app = Stepstream(id="flow-singleton")


@app.function(
    id="skip-async",
    trigger="flow/single-skip",
    singleton=Singleton(key="event.data.user", mode="skip"),
)
async def skip_async(ctx: Context) -> Any:
    got = await ctx.step.wait_for_event(
        "go", event="flow/single-go", timeout="1m", match="data.user"
    )
    return got is not None


@app.function(
    id="cancel-sync",
    trigger="flow/single-cancel",
    singleton=Singleton(key="event.data.user", mode="cancel"),
)
def cancel_sync(ctx: SyncContext) -> Any:
    got = ctx.step.wait_for_event("go", event="flow/single-go", timeout="1m", match="data.user")
    return ctx.event.data["n"] if got else None


@pytest.mark.also_on_aws
def test_skip_keeps_the_run_in_progress(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    first = harness.run_of(harness.send("flow/single-skip", {"user": "u1"}))
    harness.settle(first, "waiting")
    skipped = harness.run_of(harness.send("flow/single-skip", {"user": "u1"}))
    other = harness.run_of(harness.send("flow/single-skip", {"user": "u2"}))
    view = app.runs.get(skipped)
    assert view is not None
    assert view.status == "cancelled"
    assert view.held is not None
    assert view.held["reason"] == "singleton"
    assert first in view.held["label"]
    harness.settle(other, "waiting")
    harness.send("flow/single-go", {"user": "u1"})
    assert harness.finish(first).output is True
    again = app.runs.get(harness.run_of(harness.send("flow/single-skip", {"user": "u1"})))
    assert again is not None
    assert (again.status, again.held) == ("queued", None), "the key was freed when first ended"


def test_cancel_replaces_the_run_in_progress(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    first = harness.run_of(harness.send("flow/single-cancel", {"user": "u1", "n": 1}))
    harness.settle(first, "waiting")
    second = harness.run_of(harness.send("flow/single-cancel", {"user": "u1", "n": 2}))
    assert harness.status(first) == "cancelled"
    harness.settle(second, "waiting")
    harness.send("flow/single-go", {"user": "u1"})
    assert harness.finish(second).output == 2
