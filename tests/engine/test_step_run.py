"""GIVEN a function with sequential steps WHEN its event is sent THEN one invocation runs every
step once, stores each result, and the run completes with the function's output."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from stepstream import Context, Stepstream, SyncContext

from .harness import EngineEnv, Harness

app = Stepstream(id="test-step-run")
calls: dict[str, int] = {}


class Greeting(BaseModel):
    text: str
    length: int


def count(name: str) -> None:
    calls[name] = calls.get(name, 0) + 1


def make_greeting(name: str) -> Greeting:
    count("greet")
    return Greeting(text=f"hi {name}", length=len(name))


async def shout(text: str) -> str:
    count("shout")
    return text.upper()


@app.function(id="async-steps", trigger="test/async")
async def async_steps(ctx: Context) -> dict[str, Any]:
    greeting = await ctx.step.run("greet", make_greeting, ctx.event.data["name"])
    assert isinstance(greeting, Greeting)
    loud = await ctx.step.run("shout", shout, greeting.text)
    total = 0
    for i in range(3):
        total += await ctx.step.run("loop", lambda i=i: i * 10)
    return {"loud": loud, "length": greeting.length, "total": total}


@app.function(id="sync-steps", trigger="test/sync")
def sync_steps(ctx: SyncContext) -> dict[str, Any]:
    greeting = ctx.step.run("greet", make_greeting, ctx.event.data["name"])
    assert isinstance(greeting, Greeting)
    doubled = ctx.step.run("double", lambda: greeting.length * 2)
    return {"text": greeting.text, "doubled": doubled}


@pytest.mark.also_on_aws
def test_async_function_runs_each_step_once_in_one_invocation(engine_env: EngineEnv) -> None:
    calls.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/async", {"name": "ada"}))

    run = h.finish(run_id)

    assert run.status == "completed"
    assert run.output == {"loud": "HI ADA", "length": 3, "total": 30}
    assert calls == {"greet": 1, "shout": 1}
    # steps list in start order; ones started within the same millisecond (likely on the
    # in-memory store) by id, so compare the set
    assert sorted(s.id for s in run.steps) == ["greet", "loop", "loop:1", "loop:2", "shout"]
    assert all(s.status == "completed" for s in run.steps)
    greet = next(s for s in run.steps if s.id == "greet")
    assert greet.output == {"text": "hi ada", "length": 3}
    assert greet.input == ["ada"]
    assert h.poller.invocations == 1


def test_sync_function_gets_results_back_directly(engine_env: EngineEnv) -> None:
    calls.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/sync", {"name": "grace"}))

    run = h.finish(run_id)

    assert run.status == "completed", run.error
    assert run.output == {"text": "hi grace", "doubled": 10}
    assert calls == {"greet": 1}
    assert h.poller.invocations == 1
