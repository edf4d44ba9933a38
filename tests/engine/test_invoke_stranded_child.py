"""GIVEN a step that invokes a child run WHEN the executor dies after creating the child but
before queueing its start message THEN the step's next execution queues it: the child runs and
the parent gets its result.

A regression test: the replayed step found the child created (a conditional put on its id),
started nothing, and waited for a child that was never queued until the invoke timed out (the
SIGKILL chaos test found it: one child queued for ever, its parent failed with InvokeTimeout)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from stepstream import Backends, Context, Stepstream
from stepstream.engine import _faults
from stepstream.store import Queue

from .harness import EngineEnv, Harness

app = Stepstream(id="test-stranded-child")


@app.function(id="child")
async def child(ctx: Context) -> int:
    return 41 + int(ctx.event.data["x"])


@app.function(id="parent", trigger="test/stranded")
async def parent(ctx: Context) -> int:
    return int(await ctx.step.invoke("call", function=child, data={"x": 1}, timeout="60s"))


class DiesBeforeQueueingTheChild(Queue):
    """The executor's queue: the first start message of a child run kills the executor just
    before it is sent."""

    died: list[str] = []

    def __init__(self, inner: Queue, children: set[str]) -> None:
        self.inner = inner
        self.children = children

    def send(self, body: dict[str, Any], delay_seconds: int = 0) -> None:
        if body.get("kind") == "start" and body["run_id"] in self.children and not self.died:
            self.died.append(body["run_id"])
            raise _faults.SimulatedCrash("before the child's start message")
        self.inner.send(body, delay_seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.also_on_aws
def test_a_child_created_but_never_queued_is_queued_by_the_replayed_step(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    DiesBeforeQueueingTheChild.died.clear()
    h = Harness(app, engine_env, visibility_timeout=1, timeout_ms=3000)
    run_id = h.run_of(h.send("test/stranded"))
    state = engine_env.backends().state
    children: set[str] = set()  # the child's id is only known once the step created it

    def backends() -> Backends:
        made = engine_env.backends()
        return replace(made, queue=DiesBeforeQueueingTheChild(made.queue, children))

    monkeypatch.setattr(app, "backends_provider", backends)
    real_create = type(state).create_run

    def create_run(self: Any, run: Any) -> bool:
        if run.function_id == "child":
            children.add(run.run_id)
        return bool(real_create(self, run))

    monkeypatch.setattr(type(state), "create_run", create_run)

    view = h.finish(run_id, timeout=40)

    assert DiesBeforeQueueingTheChild.died, "the executor never died where the test meant"
    assert view.status == "completed", view.error
    assert view.output == 42
