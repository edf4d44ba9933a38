"""GIVEN functions batching events: up to 3 per tenant (async) and up to 10 with a 1 s timeout
(sync)
WHEN events arrive
THEN a full batch starts one run at once with every event in ``ctx.events`` (the first is
``ctx.event``), tenants batch apart, and a batch that does not fill starts at its timeout."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import Batch, Context, Stepstream, SyncContext

from ..engine.harness import EngineEnv, Harness

app = Stepstream(id="flow-batch")


@app.function(
    id="batched-async",
    trigger="flow/batch-async",
    batch_events=Batch(max_size=3, timeout="5s", key="event.data.tenant"),
)
async def batched_async(ctx: Context) -> Any:
    return {"first": ctx.event.data["n"], "all": [e.data["n"] for e in ctx.events]}


@app.function(id="batched-sync", trigger="flow/batch-sync", batch_events=Batch(10, "1s"))
def batched_sync(ctx: SyncContext) -> list[int]:
    return [int(e.data["n"]) for e in ctx.events]


@pytest.mark.also_on_aws
def test_a_full_batch_starts_one_run_with_every_event(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    for n in range(3):
        harness.send("flow/batch-async", {"tenant": "t1", "n": n})
    harness.send("flow/batch-async", {"tenant": "t2", "n": 9})
    runs = app.runs.recent(10, "batched-async")
    assert len(runs) == 1, "t1's batch is full, t2's is not"
    assert harness.finish(runs[0].run_id).output == {"first": 0, "all": [0, 1, 2]}


@pytest.mark.timeout(60)
def test_a_batch_that_does_not_fill_starts_at_its_timeout(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    for n in range(4):
        harness.send("flow/batch-sync", {"n": n})
    assert app.runs.recent(10, "batched-sync") == []
    harness.drive(lambda: bool(app.runs.recent(10, "batched-sync")), timeout=10)
    run = app.runs.recent(10, "batched-sync")[0]
    assert harness.finish(run.run_id).output == [0, 1, 2, 3]
