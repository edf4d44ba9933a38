"""GIVEN an event whose ``ts`` is in the future WHEN it is sent THEN its runs are created queued
and start at ``ts`` through the timer hops; a ``ts`` more than a year ahead is refused."""

from __future__ import annotations

import time

import pytest

from stepstream import Context, EventValidationError, Stepstream
from tests.engine.harness import EngineEnv, Harness

app = Stepstream(id="runops-delayed")
started_at: list[float] = []


@app.function(id="later", trigger="runops/later")
async def later(ctx: Context) -> str:
    started_at.append(time.time())
    return "started"


@pytest.mark.also_on_aws
def test_a_future_ts_delays_the_run(engine_env: EngineEnv) -> None:
    engine_env.monkeypatch.setenv("STEPSTREAM_MAX_TIMER_HOP_SECONDS", "1")
    started_at.clear()
    h = Harness(app, engine_env)
    at = time.time() + 3
    run_id = h.run_of(h.send("runops/later", ts=int(at * 1000)))
    # THEN the run exists, queued, and does not start early
    assert h.status(run_id) == "queued"
    h.drive(lambda: time.time() > at - 1.5, timeout=10)
    assert h.status(run_id) == "queued"
    # AND it starts at ts
    run = h.finish(run_id, timeout=20)
    assert run.output == "started"
    assert started_at[0] >= at - 1


def test_more_than_a_year_ahead_is_refused(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    too_late = int((time.time() + 367 * 86400) * 1000)
    with pytest.raises(EventValidationError, match="more than a year ahead"):
        h.send("runops/later", ts=too_late)
