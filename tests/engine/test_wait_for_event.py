"""GIVEN a function waiting for an event WHEN a matching event arrives (or the timeout passes)
THEN the run resumes with that event (or None); non-matching events do not resume it."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import Context, Event, Stepstream, SyncContext

from .harness import EngineEnv, Harness

app = Stepstream(id="test-wait")


@app.function(id="async-waiter", trigger="test/order.created")
async def async_waiter(ctx: Context) -> dict[str, Any]:
    approval = await ctx.step.wait_for_event(
        "approval",
        event="test/order.approved",
        timeout=ctx.event.data.get("timeout", "1m"),
        if_exp="async.data.order == event.data.order && async.data.ok == true",
    )
    assert approval is None or isinstance(approval, Event)
    return {"approved_by": approval.data["by"] if approval else None}


@app.function(id="sync-waiter", trigger="test/sync.created")
def sync_waiter(ctx: SyncContext) -> dict[str, Any]:
    approval = ctx.step.wait_for_event(
        "approval", event="test/sync.approved", timeout="1m", match="data.order"
    )
    return {"approved_by": approval.data["by"] if approval else None}


@pytest.mark.also_on_aws
def test_matching_event_resumes_the_async_waiter(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/order.created", {"order": 7}))
    h.settle(run_id, "waiting")

    # WHEN events arrive that do not match (other order, not ok, missing field)
    h.send("test/order.approved", {"order": 8, "ok": True, "by": "mallory"})
    h.send("test/order.approved", {"order": 7, "ok": False, "by": "eve"})
    h.send("test/order.approved", {"by": "nobody"})
    h.drive(lambda: h.poller.poll_once(0) == 0)
    assert h.status(run_id) == "waiting"

    # ... and then one that does
    h.send("test/order.approved", {"order": 7, "ok": True, "by": "alice"})
    run = h.finish(run_id)

    assert run.status == "completed"
    assert run.output == {"approved_by": "alice"}
    assert run.steps[0].output["data"]["by"] == "alice"


def test_match_shorthand_resumes_the_sync_waiter(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/sync.created", {"order": "a"}))
    h.settle(run_id, "waiting")

    h.send("test/sync.approved", {"order": "b", "by": "mallory"})
    h.send("test/sync.approved", {"order": "a", "by": "bob"})
    run = h.finish(run_id)

    assert run.output == {"approved_by": "bob"}


def test_timeout_resumes_with_none(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/order.created", {"order": 1, "timeout": "1s"}))

    run = h.finish(run_id)

    assert run.status == "completed"
    assert run.output == {"approved_by": None}


def test_event_after_timeout_changes_nothing(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/order.created", {"order": 2, "timeout": "1s"}))
    h.finish(run_id)

    h.send("test/order.approved", {"order": 2, "ok": True, "by": "late"})
    h.drive(lambda: h.poller.poll_once(0) == 0)

    run = app.runs.get(run_id)
    assert run is not None
    assert run.output == {"approved_by": None}


def test_invalid_cel_is_reported_when_the_step_is_called(engine_env: EngineEnv) -> None:
    bad = Stepstream(id="bad-cel")

    @bad.function(id="f", trigger="test/bad")
    async def f(ctx: Context) -> None:
        await ctx.step.wait_for_event("w", event="x", timeout="1s", if_exp="event.data.x ==")

    h = Harness(bad, engine_env)
    run = h.finish(h.run_of(h.send("test/bad")))

    assert run.status == "failed"
    assert run.error is not None
    assert "invalid CEL expression" in run.error["message"]


def test_if_exp_and_match_together_are_rejected(engine_env: EngineEnv) -> None:
    bad = Stepstream(id="both")

    @bad.function(id="f", trigger="test/both", retries=0)
    async def f(ctx: Context) -> None:
        await ctx.step.wait_for_event("w", event="x", timeout="1s", if_exp="true", match="data.x")

    h = Harness(bad, engine_env)
    run = h.finish(h.run_of(h.send("test/both")))
    assert run.error is not None
    assert "either if_exp or match" in run.error["message"]


@pytest.mark.parametrize("timeout", ["-1s", "2y"])
def test_out_of_range_timeouts_fail_clearly(engine_env: EngineEnv, timeout: str) -> None:
    bad = Stepstream(id="range")

    @bad.function(id="f", trigger="test/range", retries=0)
    async def f(ctx: Context) -> None:
        await ctx.step.wait_for_event("w", event="x", timeout=timeout)

    h = Harness(bad, engine_env)
    run = h.finish(h.run_of(h.send("test/range")))
    assert run.status == "failed"
