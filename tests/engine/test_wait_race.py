"""GIVEN a run about to store its wait WHEN the awaited event is ingested in between (forced
with a fault hook, so the interleaving is deterministic) THEN the run still resumes with it:
the executor writes its wait first and then looks for events that arrived since it was
reached. And if both sides see each other, exactly one resolution wins."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import Context, Stepstream
from stepstream.engine import _faults

from .harness import EngineEnv, Harness

app = Stepstream(id="test-wait-race")


@app.function(id="waiter", trigger="test/race.start")
async def waiter(ctx: Context) -> dict[str, Any]:
    ev = await ctx.step.wait_for_event("w", event="test/race.go", timeout="1m", match="data.k")
    return {"got": ev.data["n"] if ev else None}


@pytest.mark.also_on_aws
def test_event_arriving_between_reach_and_store_resumes_the_wait(engine_env: EngineEnv) -> None:
    sent: list[str] = []
    waits_seen_by_ingestion: list[int] = []

    def hook(point: str, run_id: str, step_hash: str) -> None:
        if point == _faults.WAIT_REACHED and not sent:
            # The event lands after the wait was reached but before the wait record exists.
            sent.extend(app.send({"name": "test/race.go", "data": {"k": 1, "n": 42}}))
        if point == _faults.EVENT_STORED:
            waits_seen_by_ingestion.append(len(app.backends().state.waits_for("test/race.go")))

    app.fault_hook = hook
    try:
        h = Harness(app, engine_env)
        run_id = h.run_of(h.send("test/race.start", {"k": 1}))
        run = h.finish(run_id)
    finally:
        app.fault_hook = None

    assert sent, "the hook did not fire"
    assert waits_seen_by_ingestion[-1] == 0  # ingestion could not see the wait
    assert run.status == "completed"
    assert run.output == {"got": 42}
    assert h.poller.invocations == 1  # resolved inline by the executor's look-back


@pytest.mark.also_on_aws
def test_event_and_executor_both_resolving_yield_one_result(engine_env: EngineEnv) -> None:
    # GIVEN the event is stored before the wait record and ingestion looks for waits only after
    # the executor wrote its wait: both sides see each other.
    state: dict[str, Any] = {}

    def hook(point: str, run_id: str, step_hash: str) -> None:
        if point == _faults.WAIT_REACHED and "sent" not in state:
            state["sent"] = True
            state["pending_event"] = True
        if point == _faults.AFTER_CHECKPOINT and state.pop("pending_event", False):
            # The wait is stored; now ingestion (event + wait lookup) runs before the executor's
            # own look-back.
            app.send({"name": "test/race.go", "data": {"k": 2, "n": 7}})

    app.fault_hook = hook
    try:
        h = Harness(app, engine_env)
        run_id = h.run_of(h.send("test/race.start", {"k": 2}))
        run = h.finish(run_id)
        h.drive(lambda: h.poller.poll_once(0) == 0)
    finally:
        app.fault_hook = None

    assert run.status == "completed"
    assert run.output == {"got": 7}
    assert len([s for s in run.steps if s.id == "w"]) == 1
