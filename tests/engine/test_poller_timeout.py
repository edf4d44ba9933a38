"""GIVEN the local poller and a function timeout WHEN an invocation is still running at it THEN
the poller ends it as Lambda does: "Task timed out after N seconds" is logged, its messages are
left to come back after their visibility timeout, its execution environment is not reused, and
the engine starts no step in it once its remaining time is 0 (the run hands over and completes
in a later invocation)."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest

from stepstream import Context, Stepstream
from stepstream.local import LambdaContext, QueuePoller
from stepstream.store import MemoryQueue

from .harness import EngineEnv, Harness
from .test_poller import Clock


def test_an_invocation_past_its_timeout_is_ended_and_its_message_comes_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    queue = MemoryQueue(clock=clock)
    queue.send_raw(json.dumps({"name": "slow"}))
    release = threading.Event()
    seen: list[tuple[int, str]] = []

    def environment(number: int) -> Any:
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            seen.append((number, event["Records"][0]["messageId"]))
            if len(seen) == 1:
                release.wait(30)  # outlives the timeout whatever the machine's speed
            return {"batchItemFailures": []}

        return handler

    poller = QueuePoller(
        environment(0),
        queue,
        wait_seconds=0,
        visibility_timeout=5,
        timeout_ms=200,
        environments=environment,
    )
    try:
        with caplog.at_level(logging.ERROR, logger="stepstream.poller"):
            assert poller.poll_once(wait_seconds=0) == 1
        # THEN it timed out, said so as Lambda does, and left the message on the queue
        assert poller.timeouts == 1
        assert poller.crashes == 0
        assert any("Task timed out after 0.20 seconds" in r.getMessage() for r in caplog.records)
        assert poller.poll_once(wait_seconds=0) == 0  # still invisible
        clock.advance(5.1)
        assert poller.poll_once(wait_seconds=0) == 1
        # ... in a fresh environment: the timed-out one is not reused
        assert [number for number, _ in seen] == [0, 1]
        assert seen[0][1] == seen[1][1]
        assert poller.timeouts == 1
        clock.advance(5.1)
        assert poller.poll_once(wait_seconds=0) == 0  # handled the second time: deleted
    finally:
        release.set()


app = Stepstream(id="test-timed-out-invocation")
bodies: list[str] = []


def _noted(name: str) -> str:
    bodies.append(name)
    return name


@app.function(id="two-steps", trigger="test/timed-out")
async def two_steps(ctx: Context) -> str:
    a = await ctx.step.run("a", _noted, "a")
    b = await ctx.step.run("b", _noted, "b")
    return a + b


@pytest.mark.also_on_aws
def test_a_timed_out_invocation_starts_no_step_and_the_run_moves_on(
    engine_env: EngineEnv,
) -> None:
    bodies.clear()
    h = Harness(app, engine_env, timeout_ms=30_000)
    run_id = h.run_of(h.send("test/timed-out"))
    # WHEN an invocation reaches its first step with no time left (Lambda would have ended it)
    app.execute({"run_id": run_id, "kind": "start"}, LambdaContext(timeout_ms=0))
    # THEN no body ran and the run is handed over, not lost
    assert bodies == []
    view = h.finish(run_id)
    assert view.status == "completed"
    assert view.output == "ab"
    assert bodies == ["a", "b"]
