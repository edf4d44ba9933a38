"""GIVEN a duration written as a bare number (inngest-py reads it as milliseconds, stepstream
read it as seconds) WHEN a step uses it THEN it is refused with an error that says why and how
to write it; timedelta and strings with units work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stepstream import Context, Stepstream
from stepstream.durations import to_seconds
from tests.engine.harness import EngineEnv, Harness

app = Stepstream(id="runops-durations")


@app.function(id="ported", trigger="runops/ported", retries=0)
async def ported(ctx: Context) -> str:
    await ctx.step.sleep("nap", ctx.event.data["nap"])
    return "woke"


def test_a_bare_number_fails_the_run_with_the_reason(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run = h.finish(h.run_of(h.send("runops/ported", {"nap": 1000})))
    assert run.status == "failed"
    message = str(run.error)
    assert "no unit" in message
    assert "milliseconds" in message
    assert "'1000ms'" in message


@pytest.mark.parametrize("nap", ["0s", "250ms"])
def test_strings_with_units_sleep(engine_env: EngineEnv, nap: str) -> None:
    h = Harness(app, engine_env)
    run = h.finish(h.run_of(h.send("runops/ported", {"nap": nap})))
    assert (run.status, run.output) == ("completed", "woke")


@pytest.mark.parametrize("value", [1000, 2.5, 0])
def test_to_seconds_refuses_bare_numbers(value: float) -> None:
    with pytest.raises(ValueError, match="bare number is refused"):
        to_seconds(value)  # type: ignore[arg-type]


def test_timedelta_and_strings_are_read() -> None:
    assert to_seconds(timedelta(minutes=30)) == to_seconds("30m") == 1800
