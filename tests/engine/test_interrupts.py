"""GIVEN user code that catches Exception around steps WHEN a step sleeps or fails for good
THEN the sleep still suspends the run (interrupts are BaseException) while a StepError is an
ordinary, catchable exception."""

from __future__ import annotations

import pytest

from stepstream import Context, NonRetriableError, StepError, Stepstream
from stepstream.engine._interrupts import Interrupt

from .harness import EngineEnv, Harness

app = Stepstream(id="test-interrupts")
swallowed: list[str] = []


def fail() -> None:
    raise NonRetriableError("nope")


@app.function(id="greedy", trigger="test/greedy")
async def greedy(ctx: Context) -> list[str]:
    try:
        await ctx.step.sleep("nap", "1s")
    except Exception as exc:  # must not catch the sleep
        swallowed.append(type(exc).__name__)
    try:
        await ctx.step.run("fail", fail)
    except Exception as exc:
        swallowed.append(type(exc).__name__)
    return swallowed


@pytest.mark.also_on_aws
def test_except_exception_cannot_swallow_interrupts(engine_env: EngineEnv) -> None:
    swallowed.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/greedy"))

    h.settle(run_id, "sleeping")
    assert swallowed == []
    run = h.finish(run_id)

    assert run.output == ["StepError"]
    assert issubclass(Interrupt, BaseException)
    assert not issubclass(Interrupt, Exception)
    assert issubclass(StepError, Exception)
