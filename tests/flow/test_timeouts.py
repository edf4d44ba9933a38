"""GIVEN functions with timeouts: ``start`` (async, throttled so its second run starts late)
and ``finish`` (sync, waiting for an event that never comes)
WHEN the time passes
THEN the run not started within ``start`` is cancelled before it runs anything, and the run
not finished within ``finish`` of its start is cancelled; a run within both completes."""

from __future__ import annotations

import pytest

from stepstream import Context, Stepstream, SyncContext, Throttle, Timeouts

from ..engine.harness import EngineEnv, Harness

app = Stepstream(id="flow-timeouts")
ran: list[int] = []


@app.function(
    id="start-async",
    trigger="flow/timeout-start",
    throttle=Throttle(limit=1, period="4s"),
    timeouts=Timeouts(start="1s"),
)
async def start_async(ctx: Context) -> int:
    n = int(ctx.event.data["n"])
    ran.append(n)
    return n


@app.function(id="finish-sync", trigger="flow/timeout-finish", timeouts=Timeouts(finish="2s"))
def finish_sync(ctx: SyncContext) -> bool:
    got = ctx.step.wait_for_event("never", event="flow/never", timeout="1m")
    return got is not None


@pytest.mark.also_on_aws
@pytest.mark.timeout(60)
def test_a_run_not_started_in_time_is_cancelled(engine_env: EngineEnv) -> None:
    ran.clear()
    harness = Harness(app, engine_env)
    first = harness.run_of(harness.send("flow/timeout-start", {"n": 1}))
    late = harness.run_of(harness.send("flow/timeout-start", {"n": 2}))
    assert harness.finish(first).output == 1
    view = harness.finish(late, timeout=10)
    assert view.status == "cancelled"
    assert view.held is not None
    assert view.held["reason"] == "start_timeout"
    harness.drive(lambda: engine_env.delayed_messages() == 0, timeout=10)
    harness.poller.poll_once(wait_seconds=0)
    assert ran == [1]


def test_a_run_not_finished_in_time_is_cancelled(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    run_id = harness.run_of(harness.send("flow/timeout-finish"))
    harness.settle(run_id, "waiting")
    view = harness.finish(run_id, timeout=10)
    assert view.status == "cancelled"
    assert view.held is not None
    assert view.held["reason"] == "finish_timeout"
    assert view.ended_at - view.started_at >= 1_900  # type: ignore[operator]
