"""GIVEN a paused function (engine level, via ``app.operations``) WHEN runs are held and the
function resumes THEN held runs start in order, one whose event has a future ``ts`` still waits
for it, and a run held while a resume was under way is not stranded."""

from __future__ import annotations

import time

import pytest

from stepstream import Context, OperationError, Stepstream
from stepstream.engine import _pause
from tests.engine.harness import EngineEnv, Harness

app = Stepstream(id="runops-pause-engine")


@app.function(id="job", trigger="runops/job")
async def job(ctx: Context) -> str:
    return "done"


@pytest.mark.also_on_aws
def test_held_runs_start_on_resume_and_keep_their_ts(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    app.operations.pause("job")
    now_run = h.run_of(h.send("runops/job"))
    at = time.time() + 3
    later_run = h.run_of(h.send("runops/job", ts=int(at * 1000)))
    h.poller.poll_once(wait_seconds=0)  # nothing was queued for them
    assert (h.status(now_run), h.status(later_run)) == ("queued", "queued")
    assert app.operations.resume("job") == sorted([now_run, later_run])
    assert h.finish(now_run).output == "done"
    assert h.status(later_run) == "queued"  # its ts has not come
    h.finish(later_run, timeout=20)
    assert time.time() >= at - 1


def test_a_hold_that_raced_a_resume_queues_itself(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    backends = engine_env.backends()
    run_id = h.run_of(h.send("runops/job"))  # not paused: started and queued
    h.finish(run_id)
    # GIVEN the resume already happened WHEN a start still holds its run THEN it is not kept
    assert _pause.hold(backends, "job", "late-run") is False
    assert backends.state.held_runs("job") == []


def test_bad_modes_and_unknown_functions_are_refused(engine_env: EngineEnv) -> None:
    Harness(app, engine_env)
    with pytest.raises(OperationError, match="pause mode must be"):
        app.operations.pause("job", "sometimes")
    with pytest.raises(OperationError, match="no function 'ghost'"):
        app.operations.pause("ghost")
    assert app.operations.pauses() == {}
