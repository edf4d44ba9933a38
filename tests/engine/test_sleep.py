"""GIVEN functions that sleep WHEN they run THEN the run sleeps without holding an executor,
wakes from an SQS timer, and never re-runs the steps before the sleep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stepstream import Context, Stepstream, SyncContext

from .harness import EngineEnv, Harness

app = Stepstream(id="test-sleep")
bodies: list[str] = []


def record(name: str) -> str:
    bodies.append(name)
    return name


@app.function(id="async-sleeper", trigger="test/sleep.async")
async def async_sleeper(ctx: Context) -> str:
    await ctx.step.run("before", record, "before")
    await ctx.step.sleep("nap", ctx.event.data.get("for", "1s"))
    return await ctx.step.run("after", record, "after")


@app.function(id="sync-sleeper", trigger="test/sleep.sync")
def sync_sleeper(ctx: SyncContext) -> str:
    ctx.step.run("before", record, "before")
    ctx.step.sleep_until("until", datetime.now(UTC) - timedelta(seconds=5))  # already past
    ctx.step.sleep("nap", timedelta(seconds=1))
    return ctx.step.run("after", record, "after")


@pytest.mark.also_on_aws
@pytest.mark.parametrize("event", ["test/sleep.async", "test/sleep.sync"])
def test_sleep_suspends_then_resumes_from_a_timer(engine_env: EngineEnv, event: str) -> None:
    bodies.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send(event))

    sleeping = h.settle(run_id, "sleeping")
    assert bodies == ["before"]
    assert [s.status for s in sleeping.steps if s.id == "nap"] == ["sleeping"]

    run = h.finish(run_id)
    assert run.status == "completed"
    assert run.output == "after"
    assert bodies == ["before", "after"]
    nap = next(s for s in run.steps if s.id == "nap")
    assert nap.status == "completed"
    assert nap.ended_at is not None
    assert nap.wake_at is not None
    assert nap.ended_at >= int(nap.wake_at * 1000)  # ended_at is whole ms
    assert h.poller.invocations == 2


def test_a_sleep_longer_than_one_hop_is_re_delayed_until_due(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN timers may hop at most 1 s at a time
    monkeypatch.setenv("STEPSTREAM_MAX_TIMER_HOP_SECONDS", "1")
    bodies.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/sleep.async", {"for": "3s"}))

    run = h.finish(run_id)

    # THEN the timer hopped: start + at least one re-delay + the waking invocation (a 3 s
    # sleep would take 2 invocations with a single delayed message)
    assert run.status == "completed"
    assert bodies == ["before", "after"]
    assert h.poller.invocations >= 3
    nap = next(s for s in run.steps if s.id == "nap")
    assert nap.ended_at is not None
    assert nap.wake_at is not None
    assert nap.ended_at >= int(nap.wake_at * 1000)  # ended_at is whole ms


def test_durations_are_validated_when_the_step_is_called(engine_env: EngineEnv) -> None:
    bodies.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/sleep.async", {"for": "2 fortnights"}))

    run = h.finish(run_id)

    assert run.status == "failed"
    assert run.error is not None
    assert "cannot read duration" in run.error["message"]


@app.function(id="year", trigger="test/sleep.year")
async def year(ctx: Context) -> None:
    await ctx.step.sleep("long", "365d")


@pytest.mark.also_on_aws
def test_a_one_year_sleep_is_one_delayed_timer_hop(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/sleep.year"))

    run = h.settle(run_id, "sleeping")

    [step] = run.steps
    assert step.wake_at is not None
    assert step.wake_at - (step.started_at or 0) / 1000 == pytest.approx(365 * 86400, abs=5)
    assert engine_env.delayed_messages() == 1  # the first 900 s hop
