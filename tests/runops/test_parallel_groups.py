"""GIVEN ctx.step.parallel in a sync and in an async function WHEN the run executes THEN the
steps run at the same time, number in call order and return their results in order, in both
kinds of function (inngest-py's group.parallel)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from stepstream import Context, Stepstream, SyncContext
from tests.engine.harness import EngineEnv, Harness

app = Stepstream(id="runops-parallel")
together = threading.Barrier(2, timeout=5)


def meet(name: str) -> str:
    together.wait()  # returns only if both bodies run at once
    return name.upper()


@app.function(id="sync-fan", trigger="runops/sync-fan")
def sync_fan(ctx: SyncContext) -> list[Any]:
    a, b = ctx.step.parallel(
        [lambda: ctx.step.run("item", meet, "a"), lambda: ctx.step.run("item", meet, "b")]
    )
    after = ctx.step.run("after", lambda: a + b)
    return [a, b, after]


@app.function(id="async-fan", trigger="runops/async-fan")
async def async_fan(ctx: Context) -> list[Any]:
    a, b = await ctx.step.parallel(
        [lambda: ctx.step.run("item", meet, "a"), lambda: ctx.step.run("item", meet, "b")]
    )
    return [a, b]


@app.function(id="misuse", trigger="runops/misuse", retries=0)
def misuse(ctx: SyncContext) -> Any:
    return ctx.step.parallel([lambda: "not a step"])


@pytest.mark.also_on_aws
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_parallel_runs_steps_together_in_both_kinds(engine_env: EngineEnv, kind: str) -> None:
    together.reset()
    h = Harness(app, engine_env)
    run = h.finish(h.run_of(h.send(f"runops/{kind}-fan")))
    assert run.status == "completed", run.error
    assert run.output[:2] == ["A", "B"]
    # AND ids number in call order: item for a, item:1 for b
    outputs = {s.id: s.output for s in run.steps}
    assert (outputs["item"], outputs["item:1"]) == ("A", "B")


def test_a_callable_that_is_not_a_step_call_is_refused(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run = h.finish(h.run_of(h.send("runops/misuse")))
    assert run.status == "failed"
    assert "must return one step call" in str(run.error)
