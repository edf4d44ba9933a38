"""GIVEN a step that sends an event WHEN the executor dies in the middle of ingesting it (after
the event is stored, before its runs start) THEN the step's next execution finishes that
ingestion: the event's run starts and completes.

A regression test: the retried send used to find the event id claimed by the dead ingestion
(claims last 30 s), was answered "duplicate", and the step stored the id as sent, so nothing ever
finished the ingestion and the event's runs and waits were lost."""

from __future__ import annotations

import pytest

from stepstream import Context, Stepstream
from stepstream.engine import _faults

from .harness import EngineEnv, Harness

app = Stepstream(id="test-send-crash")


@app.function(id="sender", trigger="test/send-crash")
async def sender(ctx: Context) -> list[str]:
    return await ctx.step.send_event("send", {"name": "test/sent", "data": {"x": 1}})


@app.function(id="receiver", trigger="test/sent")
async def receiver(ctx: Context) -> int:
    return int(ctx.event.data["x"])


@pytest.mark.also_on_aws
def test_a_send_cut_short_by_a_crash_is_finished_by_the_retried_step(
    engine_env: EngineEnv,
) -> None:
    crashed: list[str] = []

    def hook(point: str, subject: str, step_hash: str) -> None:
        if point == _faults.EVENT_STORED and subject != "trigger" and not crashed:
            crashed.append(subject)
            raise _faults.SimulatedCrash(point)

    h = Harness(app, engine_env, visibility_timeout=1, timeout_ms=3000)
    event_id = h.send("test/send-crash", id="trigger")
    run_id = h.run_of(event_id, "sender")
    app.fault_hook = hook
    try:
        run = h.finish(run_id, timeout=30)
    finally:
        app.fault_hook = None

    assert h.poller.crashes == 1
    assert run.status == "completed"
    assert run.output == crashed  # the step sent the event whose ingestion was cut short
    [sent] = app.runs.for_event(crashed[0])
    assert h.finish(sent.run_id).output == 1


def test_a_send_with_a_chosen_id_stays_deduplicated_while_its_ingestion_runs(
    engine_env: EngineEnv,
) -> None:
    """An id the user chose may be claimed by anyone's send, so it keeps the 30 s claim: a
    second send while the first is unfinished is a duplicate and starts nothing."""

    def hook(point: str, subject: str, step_hash: str) -> None:
        if point == _faults.EVENT_STORED and subject == "mine":
            raise _faults.SimulatedCrash(point)

    app.fault_hook = hook
    try:
        with pytest.raises(_faults.SimulatedCrash):
            app.send({"name": "test/sent", "id": "mine", "data": {"x": 2}})
    finally:
        app.fault_hook = None
    assert app.send({"name": "test/sent", "id": "mine", "data": {"x": 2}}) == ["mine"]
    assert app.runs.for_event("mine") == []
