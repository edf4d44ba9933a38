"""GIVEN a function that invokes another WHEN the child completes, fails or takes too long
THEN the parent's invoke step returns the child's result or raises StepError."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import Context, StepError, Stepstream, SyncContext

from .harness import EngineEnv, Harness

app = Stepstream(id="test-invoke")


@app.function(id="child-add")
async def child_add(ctx: Context) -> int:
    return int(await ctx.step.run("add", lambda: ctx.event.data["a"] + ctx.event.data["b"]))


@app.function(id="child-fail", retries=0)
def child_fail(ctx: SyncContext) -> None:
    raise ValueError("child broke")


@app.function(id="child-slow")
async def child_slow(ctx: Context) -> str:
    await ctx.step.sleep("long", "1h")
    return "too late"


@app.function(id="parent", trigger="test/parent")
async def parent(ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["sum"] = await ctx.step.invoke("add", function=child_add, data={"a": 2, "b": 3})
    try:
        await ctx.step.invoke("fail", function=child_fail, data={})
    except StepError as exc:
        out["fail"] = exc.message
    try:
        await ctx.step.invoke("slow", function=child_slow, timeout="1s")
    except StepError as exc:
        out["slow"] = exc.name
    return out


@app.function(id="sync-parent", trigger="test/sync-parent")
def sync_parent(ctx: SyncContext) -> int:
    return int(ctx.step.invoke("add", function=child_add, data={"a": 40, "b": 2}))


@pytest.mark.also_on_aws
def test_invoke_returns_results_and_raises_child_failures(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/parent"))

    run = h.finish(run_id, timeout=30)

    assert run.status == "completed", run.error
    assert run.output == {
        "sum": 5,
        "fail": "invoked child-fail failed: child broke",
        "slow": "InvokeTimeout",
    }
    children = {r.function_id: r for r in app.runs.recent(limit=20) if r.parent_run_id == run_id}
    assert children["child-add"].status == "completed"
    assert children["child-add"].event["name"] == "stepstream/function.invoked"
    assert children["child-fail"].status == "failed"
    assert children["child-slow"].status == "sleeping"


def test_sync_function_invokes(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run = h.finish(h.run_of(h.send("test/sync-parent")))
    assert run.output == 42


@app.function(id="waits-on-slow", trigger="test/waits-on-slow")
async def waits_on_slow(ctx: Context) -> str:
    try:
        await ctx.step.invoke("slow", function=child_slow, timeout="1h")
    except StepError as exc:
        return exc.name
    return "finished"


def test_cancelling_the_child_fails_the_parents_step_at_once(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/waits-on-slow"))
    h.settle(run_id, "waiting")
    [child] = [r for r in app.runs.recent(limit=10) if r.parent_run_id == run_id]
    h.settle(child.run_id, "sleeping")

    app.runs.cancel(child.run_id)

    assert h.finish(run_id).output == "Cancelled"
