"""GIVEN a function with sequential steps WHEN its event is sent THEN one invocation runs every
step once, stores each result, and the run completes with the function's output."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from stepstream import Context, Stepstream, SyncContext
from stepstream.local._provision import Provisioned

from .harness import Harness

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


def test_async_function_runs_each_step_once_in_one_invocation(engine_env: Provisioned) -> None:
    calls.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/async", {"name": "ada"}))

    run = h.finish(run_id)

    assert run.status == "completed"
    assert run.output == {"loud": "HI ADA", "length": 3, "total": 30}
    assert calls == {"greet": 1, "shout": 1}
    assert [s.id for s in run.steps] == ["greet", "shout", "loop", "loop:1", "loop:2"]
    assert all(s.status == "completed" for s in run.steps)
    assert run.steps[0].output == {"text": "hi ada", "length": 3}
    assert run.steps[0].input == ["ada"]
    assert h.poller.invocations == 1


def test_sync_function_gets_results_back_directly(engine_env: Provisioned) -> None:
    calls.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/sync", {"name": "grace"}))

    run = h.finish(run_id)

    assert run.status == "completed", run.error
    assert run.output == {"text": "hi grace", "doubled": 10}
    assert calls == {"greet": 1}
    assert h.poller.invocations == 1
