"""GIVEN steps that fail WHEN they run THEN they are retried with backoff up to their retries,
RetryAfterError sets the delay, NonRetriableError and exhausted retries raise a catchable
StepError into the function, and ctx.attempt counts attempts."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import Context, NonRetriableError, RetryAfterError, StepError, Stepstream

from .harness import EngineEnv, Harness

app = Stepstream(id="test-retries")
attempts: dict[str, list[int]] = {}


def flaky(ctx: Context, name: str, fail_times: int) -> str:
    seen = attempts.setdefault(name, [])
    seen.append(ctx.attempt)
    if len(seen) <= fail_times:
        raise RuntimeError(f"{name} failed #{len(seen)}")
    return f"{name} ok"


def doomed() -> None:
    attempts.setdefault("doomed", []).append(0)
    raise NonRetriableError("bad input")


def after_a_while() -> str:
    seen = attempts.setdefault("later", [])
    seen.append(0)
    if len(seen) == 1:
        raise RetryAfterError("busy", "1s")
    return "done"


@app.function(id="flaky", trigger="test/flaky", retries=3)
async def flaky_fn(ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["twice"] = await ctx.step.run("twice", flaky, ctx, "twice", 2)
    try:
        await ctx.step.run("always", flaky, ctx, "always", 99, retries=1)
    except StepError as exc:
        out["always"] = exc.message
    try:
        await ctx.step.run("doomed", doomed)
    except StepError as exc:
        out["doomed"] = f"{exc.name}: {exc.message}"
    out["later"] = await ctx.step.run("later", after_a_while)
    return out


@pytest.mark.also_on_aws
def test_step_retries_and_step_errors(engine_env: EngineEnv) -> None:
    attempts.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/flaky"))

    run = h.finish(run_id)

    assert run.status == "completed", run.error
    assert run.output == {
        "twice": "twice ok",
        "always": "always failed #2",
        "doomed": "NonRetriableError: bad input",
        "later": "done",
    }
    assert attempts["twice"] == [0, 1, 2]  # ctx.attempt is the step's attempt
    assert attempts["always"] == [0, 1]  # per-step retries=1 overrides the function's 3
    assert attempts["doomed"] == [0]
    assert attempts["later"] == [0, 0]
    steps = {s.id: s for s in run.steps}
    assert steps["always"].status == "failed"
    assert steps["always"].error is not None
    assert steps["later"].ended_at is not None
    assert steps["later"].started_at is not None


def test_retry_after_error_delays_the_retry(engine_env: EngineEnv) -> None:
    attempts.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/flaky"))
    h.drive(lambda: "later" in attempts)
    h.drive(lambda: h.poller.poll_once(0) == 0)

    run = app.runs.get(run_id)
    assert run is not None
    later = next(s for s in run.steps if s.id == "later")
    # THEN the retry record holds the delay RetryAfterError asked for
    assert later.status == "running"  # a stored retry record
    assert later.wake_at is not None
    assert later.wake_at * 1000 - (later.started_at or 0) >= 900
    assert h.finish(run_id).status == "completed"
