"""GIVEN steps started with asyncio.gather WHEN the run executes THEN the bodies run
concurrently, number deterministically and each checkpoints; if one branch sleeps the others'
in-flight bodies still finish and are stored before the invocation ends."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from stepstream import Context, Stepstream

from .harness import EngineEnv, Harness

app = Stepstream(id="test-parallel")
runs: dict[str, int] = {}
both_started = threading.Barrier(2, timeout=5)


def body(name: str) -> str:
    runs[name] = runs.get(name, 0) + 1
    return name.upper()


def rendezvous(name: str) -> str:
    both_started.wait()  # only returns if both sync bodies run at the same time
    return body(name)


async def slow(name: str) -> str:
    await asyncio.sleep(0.2)
    return body(name)


@app.function(id="fan", trigger="test/fan")
async def fan(ctx: Context) -> list[Any]:
    a, b = await asyncio.gather(
        ctx.step.run("item", rendezvous, "a"), ctx.step.run("item", rendezvous, "b")
    )
    c, _ = await asyncio.gather(ctx.step.run("slow", slow, "c"), ctx.step.sleep("nap", "1s"))
    return [a, b, c]


@pytest.mark.also_on_aws
def test_gather_runs_bodies_concurrently_and_keeps_in_flight_work(
    engine_env: EngineEnv,
) -> None:
    runs.clear()
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/fan"))

    sleeping = h.settle(run_id, "sleeping")
    # THEN the slow body that was in flight when the sleep interrupted was stored
    assert {s.id: s.status for s in sleeping.steps} == {
        "item": "completed",
        "item:1": "completed",
        "slow": "completed",
        "nap": "sleeping",
    }

    run = h.finish(run_id)
    assert run.output == ["A", "B", "C"]
    assert runs == {"a": 1, "b": 1, "c": 1}
    outputs = {s.id: s.output for s in run.steps}
    assert outputs["item"] == "A"
    assert outputs["item:1"] == "B"
