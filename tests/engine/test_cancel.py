"""GIVEN runs that are sleeping, waiting or running WHEN they are cancelled (by a cancel_on
event or app.runs.cancel) THEN sleeping and waiting runs stop at once, a running run stops at
its next step boundary, and later timers or events do not revive them."""

from __future__ import annotations

import pytest

from stepstream import CancelOn, Context, Stepstream

from .harness import EngineEnv, Harness

app = Stepstream(id="test-cancel")
ran: list[str] = []


@app.function(
    id="sleepy",
    trigger="test/cancel.start",
    cancel_on=[CancelOn(event="test/cancel.stop", match="data.id")],
)
async def sleepy(ctx: Context) -> str:
    await ctx.step.run("first", lambda: ran.append("first"))
    await ctx.step.sleep("nap", "2s")
    await ctx.step.run("second", lambda: ran.append("second"))
    return "finished"


@app.function(
    id="patient",
    trigger="test/patient.start",
    cancel_on=[
        CancelOn(event="test/patient.stop", if_exp="async.data.id == event.data.id && true")
    ],
)
async def patient(ctx: Context) -> str:
    await ctx.step.wait_for_event("w", event="test/never", timeout="1h")
    ran.append("after wait")
    return "finished"


def cancel_self(run_id: str) -> None:
    ran.append("busy")
    app.runs.cancel(run_id)  # arrives while the step body is running


@app.function(id="busy", trigger="test/busy.start")
async def busy(ctx: Context) -> str:
    await ctx.step.run("work", cancel_self, ctx.run_id)
    await ctx.step.run("more", lambda: ran.append("more"))
    return "finished"


def test_cancel_on_event_cancels_a_sleeping_run_at_once(engine_env: EngineEnv) -> None:
    ran.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/cancel.start", {"id": "x"}))
    other = h.run_of(h.send("test/cancel.start", {"id": "y"}))
    h.settle(run_id, "sleeping")
    h.settle(other, "sleeping")

    h.send("test/cancel.stop", {"id": "x"})

    assert h.status(run_id) == "cancelled"
    assert h.status(other) == "sleeping"
    assert h.finish(other).status == "completed"
    h.drive(lambda: h.poller.poll_once(0) == 0)  # the cancelled run's timer fires and is dropped
    run = app.runs.get(run_id)
    assert run is not None
    assert run.status == "cancelled"
    assert "second" not in {s.id for s in run.steps}
    assert ran.count("second") == 1  # only the other run's


@pytest.mark.also_on_aws
def test_cancel_on_with_cel_cancels_a_waiting_run(engine_env: EngineEnv) -> None:
    ran.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/patient.start", {"id": 5}))
    h.settle(run_id, "waiting")

    h.send("test/patient.stop", {"id": 6})
    assert h.status(run_id) == "waiting"
    h.send("test/patient.stop", {"id": 5})

    assert h.status(run_id) == "cancelled"
    assert ran == []


def test_api_cancel_stops_a_running_run_at_its_next_step(engine_env: EngineEnv) -> None:
    ran.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/busy.start"))

    run = h.finish(run_id)

    assert run.status == "cancelled"
    assert ran == ["busy"]  # the body in flight finished, nothing after it ran
    assert run.steps == []  # its checkpoint was refused: the run was no longer running
    assert run.output is None


def test_api_cancel_is_idempotent_and_none_for_unknown_runs(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/patient.start", {"id": 1}))
    h.settle(run_id, "waiting")

    first = app.runs.cancel(run_id)
    second = app.runs.cancel(run_id)

    assert first is not None
    assert second is not None
    assert first.status == second.status == "cancelled"
    assert first.ended_at == second.ended_at
    assert app.runs.cancel("no-such-run") is None
