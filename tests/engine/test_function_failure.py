"""GIVEN functions that raise WHEN they run THEN ordinary errors retry the function with
backoff, NonRetriableError and uncaught StepErrors fail it at once, and on_failure runs once
with the error."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import Context, NonRetriableError, Stepstream

from .harness import EngineEnv, Harness

app = Stepstream(id="test-failure")
seen: dict[str, list[Any]] = {}


async def report(ctx: Context) -> str:
    seen.setdefault("failures", []).append(ctx.event.data)
    return "reported"


@app.function(id="crashy", trigger="test/crashy", retries=2, on_failure=report)
async def crashy(ctx: Context) -> None:
    seen.setdefault("attempts", []).append(ctx.attempt)
    await ctx.step.run("once", lambda: seen.setdefault("once", []).append(1))
    raise ValueError("boom")


@app.function(id="fatal", trigger="test/fatal", on_failure=report)
def fatal(ctx: Any) -> None:
    seen.setdefault("fatal", []).append(ctx.attempt)
    raise NonRetriableError("no point retrying")


@app.function(id="recovers", trigger="test/recovers")
async def recovers(ctx: Context) -> int:
    if ctx.attempt < 2:
        raise RuntimeError("not yet")
    return ctx.attempt


@pytest.mark.also_on_aws
def test_function_retries_then_fails_and_on_failure_runs_once(engine_env: EngineEnv) -> None:
    seen.clear()
    h = Harness(app, engine_env)
    event_id = h.send("test/crashy", {"x": 1})
    run_id = h.run_of(event_id)

    run = h.finish(run_id)
    failure = h.finish(f"{run_id}-failure")
    h.drive(lambda: h.poller.poll_once(0) == 0)

    assert run.status == "failed"
    assert run.error is not None
    assert run.error["name"] == "ValueError"
    assert run.error["message"] == "boom"
    assert seen["attempts"] == [0, 1, 2]
    assert seen["once"] == [1]  # the memoized step did not re-run on function retries
    assert failure.status == "completed"
    assert failure.event["name"] == "stepstream/function.failed"
    [data] = seen["failures"]
    assert data["run_id"] == run_id
    assert data["function_id"] == "crashy"
    assert data["error"]["message"] == "boom"
    assert data["event"]["data"] == {"x": 1}


def test_non_retriable_error_fails_at_once(engine_env: EngineEnv) -> None:
    seen.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/fatal"))

    run = h.finish(run_id)
    h.finish(f"{run_id}-failure")

    assert run.status == "failed"
    assert seen["fatal"] == [0]
    assert len(seen["failures"]) == 1


def test_function_attempts_until_success(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run = h.finish(h.run_of(h.send("test/recovers")))
    assert run.status == "completed"
    assert run.output == 2
    assert run.attempt == 2
