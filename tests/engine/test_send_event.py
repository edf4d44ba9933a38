"""GIVEN a step that sends events WHEN the run executes (and even if its body runs twice)
THEN the events start their runs once and the step returns their ids."""

from __future__ import annotations

import pytest

from stepstream import Context, Stepstream
from stepstream.engine import _faults

from .harness import EngineEnv, Harness

app = Stepstream(id="test-send")


@app.function(id="fan-out", trigger="test/fan-out")
async def fan_out(ctx: Context) -> list[str]:
    return await ctx.step.send_event(
        "send", [{"name": "test/fanned", "data": {"i": i}} for i in range(3)]
    )


@app.function(id="fanned", trigger="test/fanned")
async def fanned(ctx: Context) -> int:
    return int(ctx.event.data["i"])


@pytest.mark.also_on_aws
def test_send_event_starts_runs_once_even_if_the_body_repeats(engine_env: EngineEnv) -> None:
    crashed: list[str] = []

    def hook(point: str, run_id: str, step_hash: str) -> None:
        # The executor dies after the events were sent but before the step was stored.
        if point == _faults.BEFORE_CHECKPOINT and not crashed:
            crashed.append(run_id)
            raise _faults.SimulatedCrash()

    app.fault_hook = hook
    try:
        h = Harness(app, engine_env, visibility_timeout=1, timeout_ms=3000)
        run_id = h.run_of(h.send("test/fan-out"))
        run = h.finish(run_id, timeout=30)
    finally:
        app.fault_hook = None

    assert crashed == [run_id]
    assert h.poller.crashes == 1
    ids = run.output
    assert isinstance(ids, list)
    assert len(ids) == 3
    for i, event_id in enumerate(ids):
        runs = app.runs.for_event(event_id)
        assert len(runs) == 1
        assert h.finish(runs[0].run_id).output == i
