"""GIVEN a function that logs around its steps WHEN it is replayed after a sleep THEN lines
logged before the replayed steps are not logged again, and new lines are."""

from __future__ import annotations

import logging

import pytest

from stepstream import Context, Stepstream

from .harness import EngineEnv, Harness

app = Stepstream(id="test-logger")


@app.function(id="chatty", trigger="test/chatty")
async def chatty(ctx: Context) -> None:
    ctx.logger.info("start")
    await ctx.step.run("a", lambda: 1)
    ctx.logger.info("after a")
    await ctx.step.sleep("nap", "1s")
    ctx.logger.info("after nap")
    await ctx.step.run("b", lambda: 2)
    ctx.logger.info("end")


@pytest.mark.also_on_aws
def test_logger_is_replay_aware(engine_env: EngineEnv, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="stepstream.run")
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/chatty"))

    h.finish(run_id)

    lines = [r.getMessage() for r in caplog.records if r.name == "stepstream.run"]
    assert lines == ["start", "after a", "after nap", "end"]
    assert all(
        getattr(r, "run_id", None) == run_id for r in caplog.records if r.name == "stepstream.run"
    )
