"""GIVEN a concurrency key whose only slot is held (its holder's lease ends in 10 s) and three
runs parked in its line WHEN their fallback messages are scheduled THEN only the first in line
comes back at the holder's lease end; the others come back after a minute (a freed slot wakes
them sooner), so parked runs do not poll the counter once per lease each."""

from __future__ import annotations

import json
import time
from dataclasses import replace

from stepstream import Concurrency, Context, Stepstream
from stepstream.engine._flow._concurrency import FALLBACK_MAX_S, counters
from stepstream.local import LambdaContext
from stepstream.store import MemoryQueue, SlotLimit

from ..engine.harness import EngineEnv
from ..engine.test_poller import Clock

app = Stepstream(id="flow-concurrency-fallback")


@app.function(
    id="one", trigger="flow/fallback", concurrency=Concurrency(limit=1, key="event.data.k")
)
async def one(ctx: Context) -> str:
    return await ctx.step.run("a", lambda: "a")


def _visible_wakes(queue: MemoryQueue) -> list[str]:
    got = queue.receive(10, 0, 3600)
    queue.delete([m.receipt_handle for m in got])
    bodies = [json.loads(m.body) for m in got]
    return [b["run_id"] for b in bodies if b.get("kind") == "concurrency"]


def test_only_the_head_of_the_line_comes_back_at_the_lease_end(engine_env: EngineEnv) -> None:
    clock = Clock()
    queue = MemoryQueue(clock=clock)
    assert engine_env.memory is not None
    engine_env.memory = replace(engine_env.memory, queue=queue)
    fn = app.get_function("one")
    assert fn is not None
    event = {"name": "flow/fallback", "data": {"k": "x"}}
    [counter] = counters(fn, event)
    state = app.backends().state
    lease_end = int(time.time() * 1000) + 10_000
    assert state.acquire_slots("holder", [SlotLimit(counter.limit.key, 1)], lease_end) is None
    app.send([event, event, event])
    runs = [r.run_id for r in state.recent_runs(10, "one")][::-1]  # oldest first: line order
    assert len(runs) == 3
    queue.delete([m.receipt_handle for m in queue.receive(10, 0, 3600)])  # the start messages
    for run_id in runs:
        app.execute({"run_id": run_id, "kind": "start"}, LambdaContext(timeout_ms=30_000))
    assert [r.status for r in state.recent_runs(10, "one")] == ["queued"] * 3
    assert _visible_wakes(queue) == []
    clock.advance(15)  # past the holder's lease end (with its second of slack)
    assert _visible_wakes(queue) == runs[:1]
    clock.advance(FALLBACK_MAX_S)
    assert sorted(_visible_wakes(queue)) == sorted(runs[1:])
