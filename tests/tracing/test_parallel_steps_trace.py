"""GIVEN tracing on and three steps run in parallel (``step.parallel``), interleaving on one event
loop thread, on the in-memory backends
WHEN the run goes through the real executor handler
THEN each step's subsegment is a child of the run's, none of a sibling's, although they were all
open at once (the X-Ray SDK's per-thread stack would have nested them)."""

from __future__ import annotations

import asyncio

from stepstream import Backends, Context, Stepstream
from stepstream.handlers import executor_handler
from stepstream.local import QueuePoller
from stepstream.store import MemoryQueue

from ._daemon import Daemon


async def pause(n: int) -> int:
    await asyncio.sleep(0.05)  # each body yields, so all three are open before any ends
    return n


def test_parallel_steps_are_siblings(traced: Daemon) -> None:
    backends = Backends.in_memory()
    assert isinstance(backends.queue, MemoryQueue)
    app = Stepstream(id="parallel", backends=lambda: backends)

    @app.function(id="fan", trigger="test/fan")
    async def fan(ctx: Context) -> tuple[int, ...]:
        return await ctx.step.parallel(
            [lambda n=n: ctx.step.run(f"part-{n}", pause, n) for n in range(3)]  # type: ignore[misc]
        )

    [event_id] = app.send({"name": "test/fan", "data": {}})
    run_id = app.runs.for_event(event_id)[0].run_id
    poller = QueuePoller(executor_handler(app), backends.queue, wait_seconds=0)
    for _ in range(50):
        poller.poll_once()
        view = app.runs.get(run_id)
        if view is not None and view.status == "completed":
            break
    view = app.runs.get(run_id)
    assert view is not None
    assert view.output == [0, 1, 2]

    documents = traced.wait_for(
        lambda docs: (
            sum(d["name"].startswith("step ") for d in docs) == 3
            and any(d["name"] == "run" for d in docs)
        )
    )
    [run] = [d for d in documents if d["name"] == "run"]
    steps = [d for d in documents if d["name"].startswith("step ")]
    assert sorted(s["annotations"]["step_id"] for s in steps) == ["part-0", "part-1", "part-2"]
    assert {s["parent_id"] for s in steps} == {run["id"]}
    assert max(s["start_time"] for s in steps) < min(s["end_time"] for s in steps)
