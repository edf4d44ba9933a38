"""GIVEN a step that raises RetryAfterError with a datetime WHEN it fails THEN its retry is
scheduled at that moment, not at once (it used to be ignored)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from stepstream import Context, RetryAfterError, StepStatus, Stepstream
from tests.engine.harness import EngineEnv, Harness

app = Stepstream(id="runops-retry-after")
attempts: list[float] = []


def flaky() -> str:
    attempts.append(time.time())
    if len(attempts) == 1:
        raise RetryAfterError("rate limited", datetime.now(UTC) + timedelta(seconds=2))
    return "ok"


@app.function(id="flaky", trigger="runops/flaky")
async def run_flaky(ctx: Context) -> str:
    return await ctx.step.run("call", flaky)


@pytest.mark.also_on_aws
def test_a_datetime_sets_when_the_step_retries(engine_env: EngineEnv) -> None:
    attempts.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("runops/flaky"))
    # WHEN the first attempt asks to be retried two seconds from now
    h.drive(lambda: len(attempts) == 1)
    h.poller.poll_once(wait_seconds=0)
    [record] = engine_env.backends().state.load_steps(run_id)
    # THEN a retry record waits until then
    assert record.status == StepStatus.RETRY
    assert record.wake_at is not None
    assert record.wake_at - attempts[0] > 1.5
    # AND the step runs again only once that moment has come
    run = h.finish(run_id, timeout=20)
    assert (run.status, run.output) == ("completed", "ok")
    assert attempts[1] - attempts[0] >= 1.5


def test_a_naive_datetime_is_refused_where_it_is_raised() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        RetryAfterError("x", datetime.now())


def test_a_bare_number_is_refused_where_it_is_raised() -> None:
    with pytest.raises(ValueError, match="no unit"):
        RetryAfterError("x", 1000)  # type: ignore[arg-type]
