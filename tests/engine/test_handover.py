"""GIVEN an invocation whose Lambda is nearly out of time WHEN it meets a new step THEN it
re-queues the run and ends; the next invocation continues from the memo."""

from __future__ import annotations

import pytest

from stepstream import Context, Stepstream

from .harness import EngineEnv, Harness

app = Stepstream(id="test-handover")
bodies: list[int] = []


def _noted(i: int) -> int:
    bodies.append(i)
    return i


@app.function(id="long", trigger="test/long")
async def long(ctx: Context) -> int:
    total = 0
    for i in range(4):
        total += await ctx.step.run("part", lambda i=i: _noted(i))
    return total


@pytest.mark.also_on_aws
def test_handover_when_remaining_time_is_below_the_margin(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN every invocation has less time left than the hand-over margin
    monkeypatch.setenv("STEPSTREAM_HANDOVER_MS", "60000")
    bodies.clear()
    # (a timeout well inside the margin, not a short one: the poller ends an invocation at it)
    h = Harness(app, engine_env, timeout_ms=30_000)
    run_id = h.run_of(h.send("test/long"))

    run = h.finish(run_id)

    # THEN each invocation runs one new step (always at least one, so the run moves on)
    assert run.status == "completed"
    assert run.output == 6
    assert bodies == [0, 1, 2, 3]
    assert h.poller.invocations == 4


def test_no_handover_with_time_to_spare(engine_env: EngineEnv) -> None:
    bodies.clear()
    h = Harness(app, engine_env, timeout_ms=120_000)
    assert h.finish(h.run_of(h.send("test/long"))).output == 6
    assert h.poller.invocations == 1
