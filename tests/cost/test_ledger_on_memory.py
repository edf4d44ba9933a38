"""GIVEN the in-memory backends (no AWS request to count) WHEN a run is executed, once from
plain code and once from inside a running event loop (the executor then runs the run on a
thread of its own, as in a dev server) THEN the ledger still reaches the run: one Lambda
invocation each, with GB-seconds from the context's memory, the tokens a step recorded, and no
request counted; and with the ledger off nothing is written."""

from __future__ import annotations

import asyncio
import json

import pytest

from stepstream import Backends, Context, Stepstream
from stepstream.cost import record_tokens
from stepstream.local import LambdaContext
from stepstream.store import MemoryQueue

app = Stepstream(id="cost-memory")


@app.function(id="two-steps", trigger="cost/memory")
async def two_steps(ctx: Context) -> int:
    def model_call() -> int:
        record_tokens("amazon.nova-micro-v1:0", 30, 40)  # as a streamed model call would
        return 1

    one = await ctx.step.run("one", model_call)
    return await ctx.step.run("two", lambda: one + 1)


@pytest.fixture
def backends(monkeypatch: pytest.MonkeyPatch) -> Backends:
    made = Backends.in_memory()
    monkeypatch.setattr(app, "backends_provider", lambda: made)
    return made


def _run(backends: Backends, *, in_a_loop: bool) -> str:
    [event_id] = app.send({"name": "cost/memory", "data": {}})
    [run] = app.runs.for_event(event_id)
    assert isinstance(backends.queue, MemoryQueue)
    [message] = backends.queue.receive()
    context = LambdaContext(memory_limit_in_mb=2048)
    if in_a_loop:

        async def from_a_loop() -> None:
            app.execute(json.loads(message.body), context)

        asyncio.run(from_a_loop())
    else:
        app.execute(json.loads(message.body), context)
    return run.run_id


@pytest.mark.parametrize("in_a_loop", [False, True])
def test_the_ledger_reaches_the_run_however_the_executor_is_called(
    backends: Backends, in_a_loop: bool
) -> None:
    run_id = _run(backends, in_a_loop=in_a_loop)

    view = app.runs.get(run_id)
    assert view is not None
    assert view.status == "completed"
    assert view.cost is not None
    assert view.cost.units["lambda_invocations"] == 1
    assert view.cost.units["lambda_gb_seconds"] > 0
    assert "dynamodb_requests" not in view.cost.units  # memory makes no AWS request
    # the tokens a step body recorded, wherever the run's coroutine ran
    assert view.cost.units["bedrock_input_tokens#amazon.nova-micro-v1:0"] == 30
    assert view.cost.lines["bedrock"] > 0
    assert view.cost.lines["lambda"] > 0


def test_with_the_ledger_off_the_run_has_none(
    backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTREAM_COST_LEDGER", "off")
    made = Backends.in_memory()
    monkeypatch.setattr(app, "backends_provider", lambda: made)
    run_id = _run(made, in_a_loop=False)

    view = app.runs.get(run_id)
    assert view is not None
    assert view.status == "completed"
    assert view.cost is None
