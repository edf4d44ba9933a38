"""GIVEN a function with concurrency 1 whose slot is held, and a run parked in line for it
WHEN the holder finishes (waking the parked run) and a new run's start message is handled on
another executor before the wake-up arrives
THEN the freed slot went to the parked run: the newcomer parks behind it, and the runs' bodies
execute in the order their events came."""

from __future__ import annotations

import time

import pytest

from stepstream import Context, Stepstream
from stepstream.engine._flow._concurrency import counters, release
from stepstream.local import LambdaContext
from stepstream.store import RunRecord, SlotLimit

from ..engine.harness import EngineEnv, Harness

app = Stepstream(id="flow-fairness")
order: list[int] = []


@app.function(id="one-at-a-time", trigger="flow/fair", concurrency=1)
async def one_at_a_time(ctx: Context) -> None:
    n = int(ctx.event.data["n"])
    await ctx.step.run("record", order.append, n)


@pytest.mark.also_on_aws
def test_a_newcomer_does_not_take_the_slot_freed_for_the_parked_run(
    engine_env: EngineEnv,
) -> None:
    order.clear()
    harness = Harness(app, engine_env)
    fn = app.get_function("one-at-a-time")
    assert fn is not None
    event = {"name": "flow/fair", "data": {}}
    key = counters(fn, event)[0].limit.key
    far = int(time.time() * 1000) + 600_000
    assert app.backends().state.acquire_slots("holder", [SlotLimit(key, 1)], far) is None

    parked = harness.run_of(harness.send("flow/fair", {"n": 1}))
    harness.poller.poll_once(wait_seconds=0)
    view = app.runs.get(parked)
    assert view is not None
    assert view.held is not None
    assert view.held["reason"] == "concurrency"

    release(app.backends(), fn, RunRecord("holder", fn.id, event), far)
    newcomer = harness.run_of(harness.send("flow/fair", {"n": 2}))
    # the newcomer's start message, handled before the parked run's wake-up is received
    app.execute({"run_id": newcomer}, LambdaContext(timeout_ms=30_000))
    late = app.runs.get(newcomer)
    assert late is not None
    assert late.status == "queued", late
    assert late.held is not None
    assert late.held["reason"] == "concurrency"
    assert order == []

    harness.finish(parked)
    harness.finish(newcomer)
    assert order == [1, 2]
    assert app.backends().state.slot_holders(key) == {}
    assert app.backends().state.first_waiters(key, 5) == []
