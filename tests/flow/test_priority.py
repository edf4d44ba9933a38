"""GIVEN a function with concurrency 1 and a priority expression (``vip`` moves a run 120 s
ahead), async and sync
WHEN runs queue behind the busy key and then the slot frees
THEN the vip run starts first, then the others in arrival order."""

from __future__ import annotations

import time

import pytest

from stepstream import Context, Priority, Stepstream, SyncContext
from stepstream.engine._flow._concurrency import counters, release
from stepstream.store import RunRecord, SlotLimit

from ..engine.harness import EngineEnv, Harness

app = Stepstream(id="flow-priority")
order: list[str] = []
PRIORITY = Priority(run="has(event.data.vip) && event.data.vip ? 120 : 0")


@app.function(id="prio-async", trigger="flow/prio-async", concurrency=1, priority=PRIORITY)
async def prio_async(ctx: Context) -> None:
    await ctx.step.run("record", lambda: order.append(ctx.event.data["name"]))


@app.function(id="prio-sync", trigger="flow/prio-sync", concurrency=1, priority=PRIORITY)
def prio_sync(ctx: SyncContext) -> None:
    ctx.step.run("record", lambda: order.append(ctx.event.data["name"]))


@pytest.mark.also_on_aws
@pytest.mark.parametrize("function_id", ["prio-async", "prio-sync"])
def test_a_vip_run_jumps_the_line(engine_env: EngineEnv, function_id: str) -> None:
    order.clear()
    harness = Harness(app, engine_env)
    fn = app.get_function(function_id)
    assert fn is not None
    name = f"flow/{function_id}"
    key = counters(fn, {"name": name, "data": {}})[0].limit.key
    far = int(time.time() * 1000) + 600_000
    assert app.backends().state.acquire_slots("holder", [SlotLimit(key, 1)], far) is None
    runs = []
    for data in ({"name": "a"}, {"name": "b"}, {"name": "vip", "vip": True}):
        runs.append(harness.run_of(harness.send(name, data)))
        time.sleep(0.005)
    harness.drive(lambda: all(harness.status(r) == "queued" for r in runs))
    while harness.poller.poll_once(wait_seconds=0):
        pass
    assert order == []
    release(app.backends(), fn, RunRecord("holder", fn.id, {"name": name, "data": {}}), far)
    for run_id in runs:
        harness.finish(run_id)
    assert order == ["vip", "a", "b"]
