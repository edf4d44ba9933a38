"""GIVEN a run whose lease another executor holds (a resume that raced the end of the invocation
that suspended the run)
WHEN messages for it keep arriving
THEN each is put back with a short, growing delay (1, 2, 4 ... s, at most 30 s) rather than the
lease's full remaining time, so a resume is not parked for half a minute."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from stepstream import Context, Stepstream
from stepstream.engine._ids import now_ms
from stepstream.local import LambdaContext
from stepstream.store import Queue

from .harness import EngineEnv, Harness

app = Stepstream(id="test-lease-bounce")


@app.function(id="held", trigger="test/held.start")
async def held(ctx: Context) -> None:
    await ctx.step.sleep("nap", "1s")


class RecordingQueue(Queue):
    """The test's queue, noting each message and its delay."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.sent: list[tuple[dict[str, Any], int]] = []

    def send(self, body: dict[str, Any], delay_seconds: int = 0) -> None:
        self.sent.append((body, delay_seconds))
        self.queue.send(body, delay_seconds)


@pytest.mark.also_on_aws
def test_a_busy_lease_bounces_the_message_with_a_growing_delay(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/held.start"))
    state = app.backends().state
    assert state.claim_run(run_id, "someone-else", now_ms() + 600_000, now_ms()) is not None

    queue = RecordingQueue(app.backends().queue)
    app.backends_provider = lambda: replace(engine_env.backends(), queue=queue)
    body: dict[str, Any] = {"run_id": run_id, "kind": "resume"}
    for _ in range(7):
        app.execute(body, LambdaContext())
        body = queue.sent[-1][0]

    assert [delay for _, delay in queue.sent] == [1, 2, 4, 8, 16, 30, 30]
    run = state.get_run(run_id)
    assert run is not None
    assert run.lease_owner == "someone-else"  # nobody took the run
